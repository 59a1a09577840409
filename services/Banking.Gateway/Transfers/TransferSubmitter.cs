using Banking.Contracts.Transfers;
using Banking.Gateway.Accounts;
using Banking.Gateway.Errors;
using Banking.Gateway.Security;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Banking.Gateway.Transfers;

/// <summary>What became of a submitted transfer request, before it is turned into HTTP.</summary>
public abstract record Submission(bool Replayed)
{
    /// <summary>The transfer is final: TransferCompleted, TransferFailed or TransferRolledBack.</summary>
    public sealed record Finished(object Outcome, bool Replayed) : Submission(Replayed);

    /// <summary>Published (confirmed by the broker, or possibly queued: no answer yet); no outcome within the wait.</summary>
    public sealed record Pending(bool Replayed) : Submission(Replayed);

    /// <summary>The reference belongs to a different request.</summary>
    public sealed record Conflict() : Submission(false);
}

/// <summary>
/// Turns a valid request into a published <see cref="TransferRequested"/> and waits for its outcome.
/// The order matters: claim the reference, register the waiter, publish (confirmed by the broker), wait.
/// Only a publish that provably never left releases the claim (503, a retry goes through); one whose fate is unknown
/// keeps it and is answered from the outcome or 202, because the message may be queued and a retry under a new
/// reference would pay twice.
/// </summary>
public sealed class TransferSubmitter(
    TransferRequestPublisher publisher,
    IdempotencyStore idempotency,
    TransferStatusClient statuses,
    TransferOutcomes outcomes,
    OutcomeEndpointStatus outcomeEndpoint,
    BalanceCache balances,
    IOptions<GatewayOptions> options,
    ILogger<TransferSubmitter> logger)
{
    public async Task<Submission> SubmitAsync(TransferInput input, Caller caller, CancellationToken cancellationToken)
    {
        var (claim, _) = await idempotency.ClaimAsync(input.Reference, input.RequestHash);
        if (claim == ClaimOutcome.OtherRequest) return new Submission.Conflict();

        // Before anything is asked or published, so that an outcome published in between is not missed.
        using var waiter = outcomes.Register(input.Reference);

        var replayed = claim == ClaimOutcome.SameRequest;
        var inFlight = false;
        if (!input.ReferenceGenerated)
        {
            // Redis may have forgotten the reference (TTL, restart): the orchestrator's record is the authority. For a
            // replay it tells whether the first attempt is still on its way, which a second publish cannot speed up.
            var recorded = await RecordedTransferAsync(input.Reference, cancellationToken);
            if (recorded is { Found: true })
            {
                if (!IsSameRequest(input, recorded))
                {
                    if (claim == ClaimOutcome.Claimed)
                    {
                        if (recorded.RequestHash is { } known) await idempotency.RememberAsync(input.Reference, known);
                        else await idempotency.ReleaseAsync(input.Reference, input.RequestHash);
                    }

                    return new Submission.Conflict();
                }

                // With Redis down the record is all we know. After a fresh claim it is not marked: a concurrent copy of
                // this very request may simply have been published first, and exactly one of N copies is the original.
                if (claim == ClaimOutcome.Unavailable) replayed = true;
                inFlight = !TransferStatuses.IsFinal(recorded.Status);
            }
        }

        // A finished transfer is published again on purpose: the saga answers a repeated request with its final event.
        // A publish whose fate is unknown is waited on like a confirmed one: it may well have gone through.
        if (!inFlight) await PublishAsync(input, caller, releaseClaimOnRefusal: claim == ClaimOutcome.Claimed, cancellationToken);

        var outcome = await waiter.WaitAsync(TimeSpan.FromMilliseconds(options.Value.SyncWaitMs), cancellationToken);
        if (outcome is null) return new Submission.Pending(replayed);

        // A final event for this reference but other money: the reference was used before by another request
        // that neither Redis nor (in time) the orchestrator told us about. Never report someone else's outcome as ours.
        if (!OutcomeMatches(input, outcome)) return new Submission.Conflict();

        // Before answering, so that the caller's next balance read cannot see a balance from before the transfer.
        await DropCachedBalancesAsync(input);
        return new Submission.Finished(outcome, replayed);
    }

    /// <summary>
    /// Returns once the broker confirmed the message, or when that is unknown (no confirm within
    /// Gateway:PublishTimeoutMs): the message may be queued, so the claim is kept and the client is told to poll.
    /// Throws <see cref="ServiceUnavailableException"/>, releasing the claim, only for a definite "not started": the
    /// message never reached a broker channel. A nack is no such proof: the exchange fans out, and one queue refusing
    /// does not mean the saga's did (MassTransit 8.5 also never completes a nacked publish; it runs into the deadline).
    /// </summary>
    private async Task PublishAsync(TransferInput input, Caller caller, bool releaseClaimOnRefusal, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromMilliseconds(options.Value.PublishTimeoutMs);
        var details = new Dictionary<string, object?> { ["transfer_id"] = input.Reference };
        var handedToChannel = false;
        try
        {
            if (!await outcomeEndpoint.WaitUntilReadyAsync(timeout, cancellationToken))
                throw new ServiceUnavailableException("The message broker is unreachable; the transfer was not started", details: details);

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            await publisher.PublishAsync(new TransferRequested
            {
                TransferId = input.Reference,
                FromAccount = input.FromAccount,
                ToAccount = input.ToAccount,
                Amount = input.Amount,
                Currency = input.Currency,
                Description = input.Description,
                RequestedBy = caller.Describe(),
                Channel = "REST",
                RequestedAtUtc = DateTime.UtcNow,
                RequestHash = input.RequestHash,
            }, () => Volatile.Write(ref handedToChannel, true), deadline.Token);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && !Volatile.Read(ref handedToChannel))
        {
            if (releaseClaimOnRefusal) await idempotency.ReleaseAsync(input.Reference, input.RequestHash);
            if (e is ServiceUnavailableException) throw;
            throw new ServiceUnavailableException("The message broker is unreachable; the transfer was not started", e, details);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "No broker confirm for transfer {TransferId}; it may be queued, so its reference stays claimed and the client polls", input.Reference);
        }
    }

    private async Task<TransferStatus?> RecordedTransferAsync(string reference, CancellationToken cancellationToken)
    {
        try
        {
            return await statuses.GetAsync(reference, cancellationToken);
        }
        catch (ServiceUnavailableException e)
        {
            // The saga dedupes by transfer id, so publishing is still safe; the outcome check below is the backstop.
            logger.LogWarning(e, "Could not check {TransferId} with the orchestrator before publishing", reference);
            return null;
        }
    }

    private static bool IsSameRequest(TransferInput input, TransferStatus recorded) => recorded.RequestHash is { } hash
        ? hash == input.RequestHash
        : input.SameMoneyAs(recorded.FromAccount, recorded.ToAccount, recorded.Amount, recorded.Currency) && recorded.Description == input.Description;

    private static bool OutcomeMatches(TransferInput input, object outcome) => outcome switch
    {
        TransferCompleted c => input.SameMoneyAs(c.FromAccount, c.ToAccount, c.Amount, c.Currency),
        TransferRolledBack r => input.SameMoneyAs(r.FromAccount, r.ToAccount, r.Amount, r.Currency),
        TransferFailed f => input.SameMoneyAs(f.FromAccount, f.ToAccount, f.Amount, f.Currency),
        _ => false,
    };

    private async Task DropCachedBalancesAsync(TransferInput input)
    {
        try
        {
            await balances.InvalidateAsync(input.FromAccount, input.ToAccount);
        }
        catch (Exception e) when (RedisKeys.IsUnavailable(e))
        {
            logger.LogWarning(e, "Could not drop cached balances after transfer {TransferId}", input.Reference);
        }
    }
}
