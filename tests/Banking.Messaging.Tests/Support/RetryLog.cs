using System.Collections.Concurrent;
using MassTransit;

namespace Banking.Messaging.Tests.Support;

/// <summary>Why an endpoint's message retry ran again: proves a seam really fired, not just that the end state is right.</summary>
public sealed class RetryLog : IRetryObserver
{
    private readonly ConcurrentQueue<string> reasons = new();

    public IReadOnlyList<string> Reasons => [.. reasons];

    public Task PostCreate<T>(RetryPolicyContext<T> context)
        where T : class, PipeContext => Task.CompletedTask;

    public Task PostFault<T>(RetryContext<T> context)
        where T : class, PipeContext
    {
        reasons.Enqueue(context.Exception.Message);
        return Task.CompletedTask;
    }

    public Task PreRetry<T>(RetryContext<T> context)
        where T : class, PipeContext => Task.CompletedTask;

    public Task RetryFault<T>(RetryContext<T> context)
        where T : class, PipeContext => Task.CompletedTask;

    public Task RetryComplete<T>(RetryContext<T> context)
        where T : class, PipeContext => Task.CompletedTask;
}
