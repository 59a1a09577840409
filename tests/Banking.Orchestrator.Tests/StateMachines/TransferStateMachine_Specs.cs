using Banking.Contracts;
using Banking.Contracts.Ledger;
using Banking.Contracts.Transfers;
using Banking.Orchestrator;
using Banking.Orchestrator.StateMachines;
using Banking.Orchestrator.Transfers;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Banking.Orchestrator.Tests.StateMachines;

/// <summary>
/// The saga's logic, message by message, on MassTransit's in-memory harness. Persistence, the outbox and
/// the real broker are proven by the end-to-end tests; here every transition of the state table is.
/// </summary>
[TestFixture]
public class TransferStateMachine_Specs
{
    private ServiceProvider provider = null!;
    private ITestHarness harness = null!;
    private ISagaStateMachineTestHarness<TransferStateMachine, TransferState> saga = null!;
    private string transferId = null!;
    private Guid correlationId;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [SetUp]
    public async Task Start()
    {
        Environment.SetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY", "false");
        provider = new ServiceCollection()
            .AddOptions()
            .AddMetrics()
            .AddSingleton<TransferMetrics>()
            .AddMassTransitTestHarness(x => x.AddSagaStateMachine<TransferStateMachine, TransferState>())
            .BuildServiceProvider(true);
        harness = provider.GetRequiredService<ITestHarness>();
        harness.TestTimeout = Wait;
        await harness.Start();
        saga = harness.GetSagaStateMachineHarness<TransferStateMachine, TransferState>();
        transferId = "TXN" + Guid.NewGuid().ToString("N")[..20];
        correlationId = TransferIds.CorrelationIdFor(transferId);
    }

    [TearDown]
    public async Task Stop()
    {
        await harness.Stop();
        await provider.DisposeAsync();
    }

    private TransferRequested Request(decimal amount = 100m, string hash = "h1") => new()
    {
        TransferId = transferId,
        FromAccount = "6230399991006371427",
        ToAccount = "6230399991006371428",
        Amount = amount,
        Currency = "CNY",
        Description = "rent",
        RequestedBy = "tester",
        Channel = "TEST",
        RequestHash = hash,
    };

    private AccountDebited Debited() => new()
    {
        TransferId = transferId, AccountNo = "6230399991006371427", Amount = 100m, Currency = "CNY",
        BalanceBefore = 10_000m, BalanceAfter = 9_900m, AppliedAtUtc = DateTime.UtcNow,
    };

    private AccountCredited Credited() => new()
    {
        TransferId = transferId, AccountNo = "6230399991006371428", Amount = 100m, Currency = "CNY",
        BalanceBefore = 5_000m, BalanceAfter = 5_100m, AppliedAtUtc = DateTime.UtcNow,
    };

    private CreditRejected CreditRefused() => new()
    {
        TransferId = transferId, AccountNo = "6230399991006371428", Amount = 100m, Currency = "CNY",
        ReasonCode = ReasonCodes.AccountRestricted, Reason = "account is restricted", RejectedAtUtc = DateTime.UtcNow,
    };

    private DebitReversed Reversed() => new()
    {
        TransferId = transferId, AccountNo = "6230399991006371427", Amount = 100m, Currency = "CNY",
        DebitWasApplied = true, BalanceBefore = 9_900m, BalanceAfter = 10_000m, ReversedAtUtc = DateTime.UtcNow,
    };

    private async Task<TransferState> InState(Func<TransferStateMachine, State> state)
    {
        var found = await saga.Exists(correlationId, state, Wait);
        Assert.That(found, Is.Not.Null, $"transfer {transferId} did not reach {state(saga.StateMachine).Name}");
        return saga.Sagas.Contains(correlationId)!;
    }

    private int SentCount<T>() where T : class =>
        harness.Sent.Select<T>().Count(m => (string)((dynamic)m.Context.Message).TransferId == transferId);

    private int PublishedCount<T>() where T : class =>
        harness.Published.Select<T>().Count(m => (string)((dynamic)m.Context.Message).TransferId == transferId);

    private async Task Drive(params object[] messages)
    {
        foreach (var message in messages)
        {
            var messageId = NewId.NextGuid();
            await harness.Bus.Publish(message, context => context.MessageId = messageId);
            // The harness's Any() gives up as soon as the bus looks idle, which can be before the receive is recorded.
            var deadline = DateTime.UtcNow + Wait;
            var consumed = false;
            while (!consumed && DateTime.UtcNow < deadline)
            {
                consumed = harness.Consumed.Select(m => m.Context.MessageId == messageId).Any();
                if (!consumed) await Task.Delay(10);
            }

            Assert.That(consumed, Is.True, $"{message.GetType().Name} was not consumed");
        }
    }

    private async Task ToCrediting()
    {
        await Drive(Request());
        await InState(m => m.Debiting);
        await Drive(Debited());
        await InState(m => m.Crediting);
    }

    [Test]
    public async Task A_request_is_recorded_as_pending_and_the_debit_is_sent()
    {
        await Drive(Request());

        var transfer = await InState(m => m.Debiting);
        Assert.Multiple(() =>
        {
            Assert.That(transfer.Status, Is.EqualTo(TransferStatuses.Pending));
            Assert.That(transfer.Amount, Is.EqualTo(100m));
            Assert.That(transfer.DebitAttempts, Is.EqualTo(1));
            Assert.That(transfer.NextAttemptAt, Is.GreaterThan(DateTime.UtcNow));
            Assert.That(SentCount<DebitAccount>(), Is.EqualTo(1));
            Assert.That(harness.Sent.Select<DebitAccount>().Single(m => m.Context.Message.TransferId == transferId).Context.DestinationAddress!.AbsolutePath, Does.EndWith(Endpoints.DebitLedger));
        });
    }

    [Test]
    public async Task When_the_debit_is_applied_the_credit_is_sent_with_the_new_source_balance_kept()
    {
        await ToCrediting();

        var transfer = saga.Sagas.Contains(correlationId)!;
        Assert.That(transfer.SourceBalanceAfter, Is.EqualTo(9_900m));
        Assert.That(SentCount<CreditAccount>(), Is.EqualTo(1));
    }

    [Test]
    public async Task When_the_credit_is_applied_the_transfer_succeeds_and_says_so()
    {
        await ToCrediting();
        await Drive(Credited());

        var transfer = await InState(m => m.Completed);
        Assert.Multiple(() =>
        {
            Assert.That(transfer.Status, Is.EqualTo(TransferStatuses.Success));
            Assert.That(transfer.CompletedAt, Is.Not.Null);
            Assert.That(transfer.NextAttemptAt, Is.Null);
            var completed = harness.Published.Select<TransferCompleted>().Single(m => m.Context.Message.TransferId == transferId).Context.Message;
            Assert.That(completed.SourceBalanceAfter, Is.EqualTo(9_900m));
        });
    }

    [Test]
    public async Task When_the_debit_is_rejected_the_transfer_fails_and_nothing_else_is_sent()
    {
        await Drive(Request());
        await InState(m => m.Debiting);
        await Drive(new DebitRejected
        {
            TransferId = transferId, AccountNo = "6230399991006371427", Amount = 100m, Currency = "CNY",
            ReasonCode = ReasonCodes.InsufficientBalance, Reason = "balance 50.00 is below 100.00", AvailableBalance = 50m, RejectedAtUtc = DateTime.UtcNow,
        });

        var transfer = await InState(m => m.Failed);
        var failed = harness.Published.Select<TransferFailed>().Single(m => m.Context.Message.TransferId == transferId).Context.Message;
        Assert.Multiple(() =>
        {
            Assert.That(transfer.Status, Is.EqualTo(TransferStatuses.Failed));
            Assert.That(failed.ReasonCode, Is.EqualTo(ReasonCodes.InsufficientBalance));
            Assert.That(failed.AvailableBalance, Is.EqualTo(50m));
            Assert.That(failed.Account, Is.EqualTo("6230399991006371427"));
            Assert.That(SentCount<CreditAccount>(), Is.Zero);
        });
    }

    [Test]
    public async Task When_the_credit_is_rejected_the_debit_is_reversed_and_the_transfer_rolls_back()
    {
        await ToCrediting();
        await Drive(CreditRefused());

        var compensating = await InState(m => m.Compensating);
        Assert.That(compensating.AmountAtRisk, Is.EqualTo(100m), "until the reversal is confirmed the amount is at risk");
        Assert.That(SentCount<ReverseDebit>(), Is.EqualTo(1));

        await Drive(Reversed());
        var transfer = await InState(m => m.RolledBack);
        var rolledBack = harness.Published.Select<TransferRolledBack>().Single(m => m.Context.Message.TransferId == transferId).Context.Message;
        Assert.Multiple(() =>
        {
            Assert.That(transfer.Status, Is.EqualTo(TransferStatuses.Rollback));
            Assert.That(transfer.AmountAtRisk, Is.Null);
            Assert.That(rolledBack.ReasonCode, Is.EqualTo(ReasonCodes.AccountRestricted));
            Assert.That(rolledBack.Account, Is.EqualTo("6230399991006371428"));
        });
    }

    [Test]
    public async Task A_repeated_request_in_flight_changes_nothing()
    {
        await Drive(Request());
        await InState(m => m.Debiting);
        await Drive(Request(), Request(amount: 999m, hash: "other"));

        // Issue 15, item 6: the second one reuses the reference with other content, which is a conflict, not a repeat.
        var transfer = saga.Sagas.Contains(correlationId)!;
        Assert.Multiple(() =>
        {
            Assert.That(SentCount<DebitAccount>(), Is.EqualTo(1));
            Assert.That(transfer.Amount, Is.EqualTo(100m));
            Assert.That(transfer.Timeline.Count(e => e.EventType == "DuplicateRequest"), Is.EqualTo(1));
            Assert.That(transfer.Timeline.Count(e => e.EventType == "ConflictingRequest"), Is.EqualTo(1));
            Assert.That(PublishedCount<TransferRequestConflicted>(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Another_request_under_a_finished_transfers_id_is_refused_as_a_conflict_without_repeating_the_outcome()
    {
        await ToCrediting();
        await Drive(Credited());
        await InState(m => m.Completed);

        await Drive(Request(amount: 5m, hash: "other"));

        var conflict = harness.Published.Select<TransferRequestConflicted>().Single(m => m.Context.Message.TransferId == transferId).Context.Message;
        Assert.Multiple(() =>
        {
            Assert.That(conflict.ReasonCode, Is.EqualTo(ReasonCodes.DuplicateReference));
            Assert.That(PublishedCount<TransferCompleted>(), Is.EqualTo(1), "the original outcome is not published again for someone else's request");
            Assert.That(PublishedCount<TransferFailed>(), Is.EqualTo(0));
        });
    }

    [Test]
    public async Task A_request_above_the_per_transfer_limit_fails_with_limit_exceeded_and_nothing_is_sent()
    {
        await Drive(Request(amount: 1_000_000.01m));

        var transfer = await InState(m => m.Failed);
        Assert.Multiple(() =>
        {
            Assert.That(transfer.ReasonCode, Is.EqualTo(ReasonCodes.LimitExceeded));
            Assert.That(SentCount<DebitAccount>(), Is.EqualTo(0));
            Assert.That(PublishedCount<TransferFailed>(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_repeated_request_after_completion_is_answered_with_the_outcome()
    {
        await ToCrediting();
        await Drive(Credited());
        await InState(m => m.Completed);

        await Drive(Request());

        Assert.That(await harness.Published.Any<TransferCompleted>(m => m.Context.Message.TransferId == transferId), Is.True);
        Assert.That(PublishedCount<TransferCompleted>(), Is.EqualTo(2));
        Assert.That(SentCount<DebitAccount>(), Is.EqualTo(1));
    }

    [Test]
    public async Task Duplicate_and_late_replies_are_ignored()
    {
        await ToCrediting();
        await Drive(Debited());
        Assert.That(SentCount<CreditAccount>(), Is.EqualTo(1), "a duplicate AccountDebited must not send a second credit");

        await Drive(Credited());
        await InState(m => m.Completed);
        await Drive(Credited(), CreditRefused(), Reversed());

        var transfer = saga.Sagas.Contains(correlationId)!;
        Assert.Multiple(() =>
        {
            Assert.That(transfer.CurrentState, Is.EqualTo("Completed"));
            Assert.That(SentCount<ReverseDebit>(), Is.Zero);
            Assert.That(PublishedCount<TransferCompleted>(), Is.EqualTo(1));
            Assert.That(transfer.Timeline.Count(e => e.EventType.StartsWith("Ignored", StringComparison.Ordinal)), Is.EqualTo(4));
        });
    }

    [Test]
    public async Task Replies_for_an_unknown_transfer_create_nothing()
    {
        await Drive(Credited());

        Assert.That(saga.Sagas.Contains(correlationId), Is.Null);
    }

    [Test]
    public async Task A_step_past_its_deadline_is_sent_again_and_a_stale_timeout_is_ignored()
    {
        await ToCrediting();
        var deadline = saga.Sagas.Contains(correlationId)!.NextAttemptAt!.Value;

        // The sweeper names the step, the attempt and the deadline it saw (issue 15, item 19).
        await Drive(new TransferStepTimedOut { TransferId = transferId, Step = "Crediting", Attempt = 1, DeadlineUtc = deadline });
        await Drive(new TransferStepTimedOut { TransferId = transferId, Step = "Crediting", Attempt = 1, DeadlineUtc = deadline });

        var transfer = saga.Sagas.Contains(correlationId)!;
        Assert.Multiple(() =>
        {
            Assert.That(SentCount<CreditAccount>(), Is.EqualTo(2), "one timeout of attempt 1 resends once; the repeat names a stale attempt");
            Assert.That(transfer.StepAttempt, Is.EqualTo(2));
            Assert.That(transfer.CreditAttempts, Is.EqualTo(2));
            Assert.That(transfer.CurrentState, Is.EqualTo("Crediting"));
        });
    }

    [Test]
    public async Task A_late_timeout_of_the_debit_does_not_resend_the_credit()
    {
        await Drive(Request());
        var debitDeadline = (await InState(m => m.Debiting)).NextAttemptAt!.Value;
        await Drive(Debited());
        await InState(m => m.Crediting);

        // Attempt 1 of the debit and attempt 1 of the credit share the number; only the step and deadline tell them apart.
        await Drive(new TransferStepTimedOut { TransferId = transferId, Step = "Debiting", Attempt = 1, DeadlineUtc = debitDeadline });

        var transfer = saga.Sagas.Contains(correlationId)!;
        Assert.Multiple(() =>
        {
            Assert.That(SentCount<CreditAccount>(), Is.EqualTo(1));
            Assert.That(transfer.CreditAttempts, Is.EqualTo(1));
            Assert.That(transfer.StepAttempt, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_timeout_with_the_right_step_and_attempt_but_another_deadline_is_ignored()
    {
        await ToCrediting();
        var deadline = saga.Sagas.Contains(correlationId)!.NextAttemptAt!.Value;

        await Drive(new TransferStepTimedOut { TransferId = transferId, Step = "Crediting", Attempt = 1, DeadlineUtc = deadline.AddSeconds(-3) });

        Assert.That(SentCount<CreditAccount>(), Is.EqualTo(1));
    }

    [Test]
    public async Task An_operator_retry_resends_the_step_now_and_is_recorded_with_who_asked()
    {
        await Drive(Request());
        await InState(m => m.Debiting);
        await Drive(new RetryTransfer { TransferId = transferId, RequestedBy = "ops.alice", Reason = "broker was down" });

        var transfer = saga.Sagas.Contains(correlationId)!;
        Assert.That(SentCount<DebitAccount>(), Is.EqualTo(2));
        Assert.That(transfer.Timeline.Single(e => e.EventType == "OperatorRetry").Actor, Is.EqualTo("ops.alice"));
    }

    [Test]
    public async Task Aborting_at_credit_fences_the_credit_then_reverses_the_debit()
    {
        await ToCrediting();
        await Drive(new AbortTransfer { TransferId = transferId, RequestedBy = "ops.bob", Reason = "credit service down" });
        await InState(m => m.CancellingCredit);
        Assert.That(SentCount<CancelCredit>(), Is.EqualTo(1));

        await Drive(new CreditCancelled { TransferId = transferId, AccountNo = "6230399991006371428", WasAlreadyApplied = false, AnsweredAtUtc = DateTime.UtcNow });
        await InState(m => m.Compensating);
        Assert.That(SentCount<ReverseDebit>(), Is.EqualTo(1));

        await Drive(Reversed());
        var transfer = await InState(m => m.RolledBack);
        Assert.Multiple(() =>
        {
            Assert.That(transfer.ReasonCode, Is.EqualTo(ReasonCodes.AbortedByOperator));
            Assert.That(transfer.AbortedBy, Is.EqualTo("ops.bob"));
            Assert.That(transfer.Timeline.Single(e => e.EventType == "AbortRequested").Actor, Is.EqualTo("ops.bob"));
        });
    }

    [Test]
    public async Task Aborting_at_credit_when_the_credit_had_landed_completes_the_transfer()
    {
        await ToCrediting();
        await Drive(new AbortTransfer { TransferId = transferId, RequestedBy = "ops.bob", Reason = "looks stuck" });
        await InState(m => m.CancellingCredit);

        // The late credit itself does not decide; the fence's answer does.
        await Drive(Credited());
        await Drive(new CreditCancelled { TransferId = transferId, AccountNo = "6230399991006371428", WasAlreadyApplied = true, BalanceAfter = 5_100m, AnsweredAtUtc = DateTime.UtcNow });

        var transfer = await InState(m => m.Completed);
        Assert.Multiple(() =>
        {
            Assert.That(transfer.Status, Is.EqualTo(TransferStatuses.Success));
            Assert.That(SentCount<ReverseDebit>(), Is.Zero, "never both: a landed credit is not reversed");
        });
    }

    [Test]
    public async Task Aborting_at_debit_fences_the_debit_and_fails_without_moving_money()
    {
        await Drive(Request());
        await InState(m => m.Debiting);
        await Drive(new AbortTransfer { TransferId = transferId, RequestedBy = "ops.carol", Reason = "debit service down" });
        await InState(m => m.CancellingDebit);
        await Drive(new DebitCancelled { TransferId = transferId, AccountNo = "6230399991006371427", WasAlreadyApplied = false, AnsweredAtUtc = DateTime.UtcNow });

        var transfer = await InState(m => m.Failed);
        Assert.Multiple(() =>
        {
            Assert.That(transfer.ReasonCode, Is.EqualTo(ReasonCodes.AbortedByOperator));
            Assert.That(SentCount<CreditAccount>(), Is.Zero);
            Assert.That(SentCount<ReverseDebit>(), Is.Zero);
        });
    }

    [Test]
    public async Task Aborting_at_debit_when_the_debit_had_landed_gives_the_money_back()
    {
        await Drive(Request());
        await InState(m => m.Debiting);
        await Drive(new AbortTransfer { TransferId = transferId, RequestedBy = "ops.carol", Reason = "customer withdrew" });
        await InState(m => m.CancellingDebit);
        await Drive(new DebitCancelled { TransferId = transferId, AccountNo = "6230399991006371427", WasAlreadyApplied = true, BalanceAfter = 9_900m, AnsweredAtUtc = DateTime.UtcNow });

        await InState(m => m.Compensating);
        Assert.That(SentCount<ReverseDebit>(), Is.EqualTo(1));
        Assert.That(SentCount<CreditAccount>(), Is.Zero);
    }

    // Issue 17, point 4: above Transfers:FourEyesThreshold (50,000.00 by default) one operator asks, another decides.
    private const decimal AboveFourEyes = 60_000m;

    private async Task ToCreditingAboveFourEyes()
    {
        await Drive(Request(AboveFourEyes));
        await InState(m => m.Debiting);
        await Drive(Debited());
        await InState(m => m.Crediting);
    }

    [Test]
    public async Task An_abort_above_the_four_eyes_threshold_waits_and_its_asker_cannot_approve_it()
    {
        await ToCreditingAboveFourEyes();
        await Drive(new AbortTransfer { TransferId = transferId, RequestedBy = "ops.alice", Reason = "customer dispute" },
            new ApproveOperatorAction { TransferId = transferId, Action = OperatorActions.Abort, ApprovedBy = "ops.alice", Reason = "looks fine to me" });

        var transfer = await InState(m => m.Crediting);
        Assert.Multiple(() =>
        {
            Assert.That(SentCount<CancelCredit>(), Is.Zero, "nothing is fenced on one operator's word");
            Assert.That(transfer.PendingAction, Is.EqualTo(OperatorActions.Abort));
            Assert.That(transfer.PendingActionBy, Is.EqualTo("ops.alice"));
            Assert.That(transfer.Timeline.Single(e => e.EventType == "AbortAwaitingApproval").Actor, Is.EqualTo("ops.alice"));
            Assert.That(transfer.Timeline.Single(e => e.EventType == "ApprovalRefused").Details, Does.Contain("cannot approve their own"));
        });
    }

    [Test]
    public async Task A_second_operators_approval_carries_out_the_abort_in_both_names()
    {
        await ToCreditingAboveFourEyes();
        await Drive(new AbortTransfer { TransferId = transferId, RequestedBy = "ops.alice", Reason = "customer dispute" },
            new ApproveOperatorAction { TransferId = transferId, Action = OperatorActions.Abort, ApprovedBy = "ops.bob", Reason = "checked the dispute" });

        var transfer = await InState(m => m.CancellingCredit);
        Assert.Multiple(() =>
        {
            Assert.That(SentCount<CancelCredit>(), Is.EqualTo(1));
            Assert.That(transfer.AbortedBy, Is.EqualTo("ops.alice"));
            Assert.That(transfer.AbortApprovedBy, Is.EqualTo("ops.bob"));
            Assert.That(transfer.PendingAction, Is.Null);
            Assert.That(transfer.AbortMessage, Does.Contain("ops.alice").And.Contain("approved by ops.bob"));
            Assert.That(transfer.Timeline.Single(e => e.EventType == "AbortApproved").Actor, Is.EqualTo("ops.bob"));
        });
    }

    [Test]
    public async Task A_rejected_retry_sends_nothing_and_an_approved_one_resends_the_step()
    {
        await Drive(Request(AboveFourEyes));
        await InState(m => m.Debiting);
        await Drive(new RetryTransfer { TransferId = transferId, RequestedBy = "ops.alice", Reason = "broker was down" },
            new RejectOperatorAction { TransferId = transferId, Action = OperatorActions.Retry, RejectedBy = "ops.bob", Reason = "the ledger is answering again" });
        Assert.That(SentCount<DebitAccount>(), Is.EqualTo(1), "a rejected retry sends nothing");
        Assert.That(saga.Sagas.Contains(correlationId)!.PendingAction, Is.Null);

        await Drive(new RetryTransfer { TransferId = transferId, RequestedBy = "ops.alice", Reason = "still stuck" },
            new ApproveOperatorAction { TransferId = transferId, Action = OperatorActions.Retry, ApprovedBy = "ops.bob" });
        var transfer = saga.Sagas.Contains(correlationId)!;
        Assert.Multiple(() =>
        {
            Assert.That(SentCount<DebitAccount>(), Is.EqualTo(2));
            Assert.That(transfer.Timeline.Select(e => e.EventType), Does.Contain("RetryRejected").And.Contain("RetryApproved"));
            Assert.That(transfer.Timeline.Last(e => e.EventType == "OperatorRetry").Details, Does.Contain("asked by ops.alice, approved by ops.bob"));
        });
    }

    [Test]
    public async Task While_an_action_waits_another_is_refused_and_an_approval_of_the_other_action_changes_nothing()
    {
        await ToCreditingAboveFourEyes();
        await Drive(new AbortTransfer { TransferId = transferId, RequestedBy = "ops.alice", Reason = "customer dispute" },
            new RetryTransfer { TransferId = transferId, RequestedBy = "ops.carol", Reason = "resend" },
            new ApproveOperatorAction { TransferId = transferId, Action = OperatorActions.Retry, ApprovedBy = "ops.bob" });

        var transfer = await InState(m => m.Crediting);
        Assert.Multiple(() =>
        {
            Assert.That(SentCount<CreditAccount>(), Is.EqualTo(1));
            Assert.That(SentCount<CancelCredit>(), Is.Zero);
            Assert.That(transfer.PendingAction, Is.EqualTo(OperatorActions.Abort));
            Assert.That(transfer.Timeline.Single(e => e.EventType == "RetryRefused").Details, Does.Contain("waiting for a second operator"));
            Assert.That(transfer.Timeline.Single(e => e.EventType == "ApprovalRefused").Details, Does.Contain("no retry is waiting"));
        });
    }

    [Test]
    public async Task An_action_waiting_when_the_transfer_ends_lapses_and_a_late_approval_changes_nothing()
    {
        await ToCreditingAboveFourEyes();
        await Drive(new AbortTransfer { TransferId = transferId, RequestedBy = "ops.alice", Reason = "customer dispute" }, Credited());
        await InState(m => m.Completed);
        await Drive(new ApproveOperatorAction { TransferId = transferId, Action = OperatorActions.Abort, ApprovedBy = "ops.bob" });

        var transfer = await InState(m => m.Completed);
        Assert.Multiple(() =>
        {
            Assert.That(transfer.Status, Is.EqualTo(TransferStatuses.Success));
            Assert.That(transfer.PendingAction, Is.Null);
            Assert.That(SentCount<CancelCredit>(), Is.Zero);
            Assert.That(transfer.Timeline.Single(e => e.EventType == "AbortLapsed").Details, Does.Contain("ended SUCCESS"));
            Assert.That(transfer.Timeline.Single(e => e.EventType == "ApprovalRefused").Details, Does.Contain("no abort is waiting"));
        });
    }

    [Test]
    public async Task An_abort_at_or_below_the_threshold_needs_one_operator()
    {
        await Drive(Request(50_000m));
        await InState(m => m.Debiting);
        await Drive(new AbortTransfer { TransferId = transferId, RequestedBy = "ops.alice", Reason = "customer withdrew" });
        await InState(m => m.CancellingDebit);
        Assert.That(SentCount<CancelDebit>(), Is.EqualTo(1));
    }

    [Test]
    public async Task Operator_actions_on_a_final_transfer_are_refused_and_recorded()
    {
        await ToCrediting();
        await Drive(Credited());
        await InState(m => m.Completed);
        await Drive(new AbortTransfer { TransferId = transferId, RequestedBy = "ops.dan", Reason = "late" },
            new RetryTransfer { TransferId = transferId, RequestedBy = "ops.dan", Reason = "late" });

        var transfer = saga.Sagas.Contains(correlationId)!;
        Assert.Multiple(() =>
        {
            Assert.That(transfer.CurrentState, Is.EqualTo("Completed"));
            Assert.That(transfer.Timeline.Select(e => e.EventType), Does.Contain("AbortRefused").And.Contain("RetryRefused"));
            Assert.That(SentCount<CancelCredit>(), Is.Zero);
        });
    }

    [TestCase(0, TestName = "A_zero_amount_fails_validation")]
    [TestCase(-5, TestName = "A_negative_amount_fails_validation")]
    [TestCase(10.005, TestName = "An_amount_with_three_decimals_fails_validation")]
    public async Task A_malformed_request_fails_without_touching_the_ledger(double amount)
    {
        await Drive(Request(amount: (decimal)amount));

        var transfer = await InState(m => m.Failed);
        Assert.Multiple(() =>
        {
            Assert.That(transfer.ReasonCode, Is.EqualTo(ReasonCodes.ValidationError));
            Assert.That(transfer.Amount, Is.Zero, "an amount DECIMAL(20,2) cannot hold is never rounded into the record");
            Assert.That(transfer.ErrorMessage, Does.Contain("amount"));
            Assert.That(SentCount<DebitAccount>(), Is.Zero);
            Assert.That(PublishedCount<TransferFailed>(), Is.EqualTo(1));
        });
    }
}
