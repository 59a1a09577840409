using MySqlConnector;

namespace Banking.Messaging.Groups;

/// <summary>
/// The one transaction a group of messages shares: its connection, and the state each participant (the saga
/// repository, a ledger) keeps for the group. Members run one after the other on it; what they write is collected
/// and sent together just before the commit (<see cref="IGroupParticipant.AddWrites"/>).
/// </summary>
public sealed class GroupTransaction
{
    private readonly Dictionary<Type, IGroupParticipant> participants = [];
    private readonly List<Action> afterCommit = [];

    internal GroupTransaction(MySqlConnection connection, MySqlTransaction? transaction, IReadOnlyList<GroupMember> members, string endpoint = "")
    {
        Endpoint = endpoint;
        Connection = connection;
        Transaction = transaction;
        Members = members;
    }

    /// <summary>The receive endpoint (queue) whose messages the group holds.</summary>
    public string Endpoint { get; }

    public MySqlConnection Connection { get; }

    /// <summary>
    /// The transaction object, for endpoints whose consumers' DbContexts join the group; null where the group's own
    /// statements open and commit it (<see cref="ConsumerWrites.ThroughGroupOnly"/>): the connection is inside the
    /// transaction all the same, so a command or batch without one runs in it.
    /// </summary>
    public MySqlTransaction? Transaction { get; }

    /// <summary>Every member of the group, also those already consumed (redeliveries), in arrival order.</summary>
    public IReadOnlyList<GroupMember> Members { get; }

    public MySqlCommand Command(string sql) => new(sql, Connection, Transaction);

    /// <summary>The group's instance of a participant, created on first use; its writes join the group's commit.</summary>
    public T Participant<T>(Func<GroupTransaction, T> create)
        where T : class, IGroupParticipant
    {
        if (participants.TryGetValue(typeof(T), out var existing)) return (T)existing;
        var created = create(this);
        participants.Add(typeof(T), created);
        return created;
    }

    internal IEnumerable<IGroupParticipant> Participants => participants.Values;

    /// <summary>The head of the endpoint's audit chain as its group commit last committed it (none for a delivery).</summary>
    internal Audit.AuditHeadCache? AuditHeads { get; init; }

    /// <summary>
    /// Every participant's writes, then the closing steps of those that have one (which may add what the others
    /// handed them while adding theirs).
    /// </summary>
    internal async Task AddWritesAsync(GroupWrites writes, CancellationToken cancellationToken)
    {
        foreach (var participant in participants.Values.ToList()) participant.AddWrites(writes);
        foreach (var step in participants.Values.OfType<IGroupClosingStep>().ToList()) await step.CloseAsync(writes, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="action"/> once this transaction has committed, never if it rolls back: a group that fails
    /// is dropped with what it registered, and its members register again when they run in the next one. For what
    /// must count only what really happened (metrics of ledger operations and transfer outcomes).
    /// </summary>
    public void OnCommitted(Action action) => afterCommit.Add(action);

    internal IReadOnlyList<Action> AfterCommit => afterCommit;
}

/// <summary>
/// A participant that needs the database once more before the closing batch (the audit trail locks its chain's head
/// there: last, so that holding it never waits for another lock).
/// </summary>
public interface IGroupClosingStep
{
    Task CloseAsync(GroupWrites writes, CancellationToken cancellationToken);
}

/// <summary>Something that keeps state for one group and writes it in the group's closing batch.</summary>
public interface IGroupParticipant
{
    /// <summary>Adds this participant's statements to the batch that precedes the commit; called once, after every member ran.</summary>
    void AddWrites(GroupWrites writes);
}
