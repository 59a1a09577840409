using System.ComponentModel.DataAnnotations;

namespace Banking.Messaging.Outbox;

/// <summary>How long the inbox remembers a message (configuration section <c>Messaging:Inbox</c>).</summary>
public sealed class InboxCleanupOptions
{
    public const string Section = "Messaging:Inbox";

    /// <summary>
    /// A delivered message's row is kept this long, so a redelivery within the window is recognised. RabbitMQ
    /// redelivers within minutes of a crash; a day also covers a message an operator moves back from an error queue
    /// the next morning. Ledger operations are protected beyond the window by their own claims.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan DuplicateDetectionWindow { get; set; } = TimeSpan.FromDays(1);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Rows deleted per statement, so a large backlog never holds long locks.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 1000;
}
