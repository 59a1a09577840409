namespace Banking.Messaging.Tests.Support;

/// <summary>What the note desk is asked to do after it wrote the note and published <see cref="NoteRecorded"/>.</summary>
public enum NoteTwist
{
    None,

    /// <summary>Throws after publishing: the note and the event must both vanish with the rollback.</summary>
    FailAfterPublishing,

    /// <summary>Waits on the test's gate after publishing, before the transaction commits.</summary>
    HoldBeforeCommit,

    /// <summary>Asks MassTransit's outbox to fail the first delivery attempt of the event (its <c>MT-Fail-Delivery</c> header).</summary>
    FailFirstDelivery,
}

/// <summary>A command to write one note (the business change) and announce it, <paramref name="Announcements"/> times.</summary>
public sealed record RecordNote(string Reference, string Text, NoteTwist Twist = NoteTwist.None, int Announcements = 1);

/// <summary>The event a desk publishes for every note it wrote.</summary>
public sealed record NoteRecorded(string Reference, string WrittenBy);

/// <summary>Opens a settlement batch: the initiating event of <see cref="SettlementBatchStateMachine"/>.</summary>
public sealed record BatchOpened(Guid BatchId);

/// <summary>One more payment in the batch: the counter goes up by one.</summary>
public sealed record PaymentAdded(Guid BatchId, Guid PaymentId);

/// <summary>A payment whose handling publishes, changes the counter and then fails.</summary>
public sealed record FaultyPaymentAdded(Guid BatchId, Guid PaymentId);

/// <summary>An auditor looked at the batch; a batch that does not exist is ignored, never created.</summary>
public sealed record BatchAudited(Guid BatchId);

/// <summary>Published by the saga after each counted payment.</summary>
public sealed record BatchTotalChanged(Guid BatchId, int PaymentCount, Guid PaymentId);
