namespace Banking.Contracts;

/// <summary>Why a transfer request was refused before any money moved: a <see cref="ReasonCodes"/> code and the field it is about.</summary>
public sealed record TransferRefusal(string ReasonCode, string Field, string Message)
{
    public static TransferRefusal Invalid(string field, string message) => new(ReasonCodes.ValidationError, field, message);
}
