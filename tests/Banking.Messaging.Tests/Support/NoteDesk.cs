using System.Collections.Concurrent;

namespace Banking.Messaging.Tests.Support;

/// <summary>
/// What a test shares with the consumers it runs (across every bus instance of the test): gates that hold a
/// consumer before its transaction commits, how often each consumer was entered, and the message id each
/// published event was given.
/// </summary>
public sealed class NoteDesk
{
    private static readonly AsyncLocal<bool> InsideConsumer = new();

    private readonly ConcurrentDictionary<string, TaskCompletionSource> gates = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> published = new();
    private readonly ConcurrentDictionary<string, int> visits = new();
    private readonly ConcurrentDictionary<string, Guid> publishedMessageIds = new();

    /// <summary>
    /// True while a consumer's own code runs: a send seen then is the outbox capturing it; a send seen outside is
    /// the outbox delivering it after commit.
    /// </summary>
    public static bool IsInsideConsumer => InsideConsumer.Value;

    public static IDisposable EnterConsumer()
    {
        InsideConsumer.Value = true;
        return new Leave();
    }

    public void Visit(string consumer, string reference) => visits.AddOrUpdate($"{consumer}/{reference}", 1, (_, n) => n + 1);

    public int VisitsOf(string consumer, string reference) => visits.GetValueOrDefault($"{consumer}/{reference}");

    public void Published(string reference, Guid messageId)
    {
        publishedMessageIds[reference] = messageId;
        published.GetOrAdd(reference, NewSignal).TrySetResult();
    }

    public Guid PublishedMessageId(string reference) => publishedMessageIds[reference];

    public Task HasPublishedAsync(string reference) => published.GetOrAdd(reference, NewSignal).Task;

    public Task GateAsync(string reference) => gates.GetOrAdd(reference, NewSignal).Task;

    public void OpenGate(string reference) => gates.GetOrAdd(reference, NewSignal).TrySetResult();

    private static TaskCompletionSource NewSignal(string _) => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Leave : IDisposable
    {
        public void Dispose() => InsideConsumer.Value = false;
    }
}
