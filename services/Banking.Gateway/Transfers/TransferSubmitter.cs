using System.Diagnostics;
using Banking.Contracts.Transfers;
using Banking.Gateway.Errors;
using Banking.Gateway.Security;
using Banking.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Banking.Gateway.Transfers;

/// <summary>What became of a submitted transfer request, before it is turned into HTTP.</summary>
public abstract record Submission(bool Replayed)
{
    /// <summary>The transfer is final: TransferCompleted, TransferFailed or TransferRolledBack.</summary>
    public sealed record Finished(object Outcome, bool Replayed) : Submission(Replayed);

    /// <summary>Published and confirmed by the broker; no outcome within the wait. The transfer exists and will end final.</summary>
    public sealed record Pending(bool Replayed) : Submission(Replayed);

    /// <summary>
    /// The request may or may not have reached the saga (no broker confirm, and no outcome within the wait), so nothing
    /// may be promised: the client retries with the same reference, which publishes again and is answered from the saga.
    /// </summary>
    public sealed record Unknown(bool Replayed) : Submission(Replayed);

    /// <summary>The reference belongs to a different request.</summary>
    public sealed record Conflict() : Submission(false);
}

/// <summary>
/// Turns a valid, admitted request (<see cref="TransferAdmission"/>: the reference claimed) into a published
/// <see cref="TransferRequested"/> and waits for its outcome. The order matters: register the waiter, publish
/// (confirmed by the broker), wait. The orchestrator is not asked first whether the reference exists: the saga refuses
/// a conflicting request under a known reference itself (<see cref="TransferRequestConflicted"/>, naming the message
/// this request published), which covers a reference Redis has lost or never saw (an upstream system's).
/// Only a publish that provably never left releases the claim (503 "not started", a retry goes through). One whose fate
/// is unknown keeps it, because the message may be queued and a retry under a new reference would pay twice, and is
/// answered from the outcome if it comes in time, otherwise <see cref="Submission.Unknown"/>: never 202, which promises a
/// transfer the saga may never see (the broker can lose a message it has not confirmed; fault run F20261202-0347699).
/// </summary>
public sealed class TransferSubmitter(
    TransferRequestPublisher publisher,
    IdempotencyStore idempotency,
    TransferOutcomes outcomes,
    OutcomeEndpointStatus outcomeEndpoint,
    IOptions<GatewayOptions> options,
    ILogger<TransferSubmitter> logger)
{
    public async Task<Submission> SubmitAsync(TransferInput input, ClaimOutcome claim, Caller caller, CancellationToken cancellationToken)
    {
        // The request's span names the transfer, so what this request logs carries transfer_id.
        Activity.Current?.SetTag(BankingTelemetry.TransferIdTag, input.Reference);
        if (claim == ClaimOutcome.OtherRequest) return new Submission.Conflict();

        // Before publishing, so that an outcome published at once is not missed. The message id is chosen here so that
        // the saga's refusal of this very request can be told from the outcome of the transfer that owns the reference.
        var messageId = NewId.NextGuid();
        using var waiter = outcomes.Register(input.Reference, messageId);

        // A replay is published again on purpose: the saga answers a repeated request for a finished transfer with its
        // final event, and ignores one for a transfer in flight; that is also how a retry after an unknown answer gets the
        // real outcome. A publish whose fate is unknown is waited on like a confirmed one: it may well have gone through.
        var replayed = claim == ClaimOutcome.SameRequest;
        var published = await PublishAsync(input, messageId, caller, claim, cancellationToken);
        if (published == Publish.NotSent) return new Submission.Unknown(replayed);

        var outcome = await waiter.WaitAsync(TimeSpan.FromMilliseconds(options.Value.SyncWaitMs), cancellationToken);
        if (outcome is null) return published == Publish.Confirmed ? new Submission.Pending(replayed) : new Submission.Unknown(replayed);

        // The saga refused this request, or the reference's outcome is for other money (the transfer that owns the
        // reference finished first; this request's refusal is on its way). Never report someone else's outcome as ours.
        if (outcome is TransferRequestConflicted || !OutcomeMatches(input, outcome))
        {
            // Redis held this request's hash for a reference the saga knows with other content (it had lost the
            // reference, or never saw it because an upstream system chose it): forget it, so that the owner's replays
            // are not turned away as conflicts.
            if (claim != ClaimOutcome.Unavailable) await idempotency.ReleaseAsync(input.Reference, input.RequestHash);
            return new Submission.Conflict();
        }

        // The outcome consumer dropped both cached balances before it handed the outcome over.
        return new Submission.Finished(outcome, replayed);
    }

    private enum Publish
    {
        /// <summary>The broker confirmed the message.</summary>
        Confirmed,

        /// <summary>On a broker channel, but no confirm in time (or a nack/return): it may be queued, or lost.</summary>
        Unconfirmed,

        /// <summary>
        /// This replay's message never reached a channel, but an earlier request under the reference may have: the
        /// client is told "unknown" like for an unconfirmed publish, never "not started".
        /// </summary>
        NotSent,
    }

    /// <summary>
    /// Returns once the broker confirmed the message, or when that is unknown (no confirm within
    /// Gateway:PublishTimeoutMs): the message may be queued or lost, so the claim is kept. Throws
    /// <see cref="ServiceUnavailableException"/> for a definite "not started" of a request that is not a replay: the message
    /// never reached a broker channel, and the claim is released. A nack is no such proof: the exchange fans out, and one
    /// queue refusing does not mean the saga's did (MassTransit 8.5 also never completes a nacked publish; it runs into the
    /// deadline).
    /// </summary>
    private async Task<Publish> PublishAsync(TransferInput input, Guid messageId, Caller caller, ClaimOutcome claim, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromMilliseconds(options.Value.PublishTimeoutMs);
        var handedToChannel = false;
        try
        {
            if (!await outcomeEndpoint.WaitUntilReadyAsync(timeout, cancellationToken))
                throw new TimeoutException("the gateway's outcome endpoint is not consuming");

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
                SourceAddress = caller.SourceAddress,
                Channel = "REST",
                RequestedAtUtc = DateTime.UtcNow,
                RequestHash = input.RequestHash,
                RequestMessageId = messageId,
            }, () => Volatile.Write(ref handedToChannel, true), deadline.Token);
            return Publish.Confirmed;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && !Volatile.Read(ref handedToChannel))
        {
            if (claim == ClaimOutcome.SameRequest)
            {
                logger.LogWarning(e, "The replay of transfer {TransferId} could not be published; its reference stays claimed and the client retries it", input.Reference);
                return Publish.NotSent;
            }

            if (claim == ClaimOutcome.Claimed) await idempotency.ReleaseAsync(input.Reference, input.RequestHash);
            throw new ServiceUnavailableException("The message broker is unreachable; the transfer was not started", e,
                new Dictionary<string, object?> { ["transfer_id"] = input.Reference });
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "No broker confirm for transfer {TransferId}; it may be queued or lost, so its reference stays claimed and the client retries it", input.Reference);
            return Publish.Unconfirmed;
        }
    }

    private static bool OutcomeMatches(TransferInput input, object outcome) => outcome switch
    {
        TransferCompleted c => input.SameMoneyAs(c.FromAccount, c.ToAccount, c.Amount, c.Currency),
        TransferRolledBack r => input.SameMoneyAs(r.FromAccount, r.ToAccount, r.Amount, r.Currency),
        TransferFailed f => input.SameMoneyAs(f.FromAccount, f.ToAccount, f.Amount, f.Currency),
        _ => false,
    };
}
