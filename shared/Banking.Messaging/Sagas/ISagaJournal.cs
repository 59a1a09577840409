namespace Banking.Messaging.Sagas;

/// <summary>
/// A saga that writes rows of its own beside its instance (a transfer's timeline). The MySQL saga repository adds the
/// rows not yet handed over to the same DbContext before it saves the instance, so both commit in one transaction.
/// </summary>
public interface ISagaJournal
{
    /// <summary>The rows recorded since the last call, completed with what is known only at save time (the state reached).</summary>
    IReadOnlyCollection<object> TakeNewRows();
}
