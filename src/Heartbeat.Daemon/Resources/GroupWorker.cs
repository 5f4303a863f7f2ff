using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Heartbeat.Daemon.Logging;
using Heartbeat.Daemon.Threads;
using Heartbeat.Protocol.Node;
using Heartbeat.Protocol.Resources;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Resources;

/// <summary>
/// The group worker: the planner's group actions run on a thread of its own, one at a time and in the order the loop
/// queued them, and each result is handed back to the loop. Threads: <see cref="Enqueue"/>, <see cref="TryTakeResult"/>,
/// <see cref="IsIdle"/> and <see cref="Complete"/> are called by the loop thread; everything else runs on the worker
/// thread; the two queues are the only state they share.
/// </summary>
internal sealed class GroupWorker(ResourceExecutor executor, string nodeName, TimeProvider time, Action wakeLoop, ILogger logger)
{
    /// <summary>Group actions in the planner's order, for the group worker thread.</summary>
    private readonly BlockingCollection<(GroupRequest Request, long DecidedAt, DateTimeOffset DecidedWhen)> _actions = [];

    /// <summary>Finished group actions, handed back to the loop (never dropped, unlike datagrams in a flood).</summary>
    private readonly ConcurrentQueue<(string Key, GroupAction Action, bool Success, string Reason, GroupCause Cause, TimeSpan Took)> _results = new();

    /// <summary>
    /// Closed while the loop queues one turn's actions (<see cref="Hold"/>, <see cref="Release"/>), so the worker sees all
    /// of a turn's acquisitions together and starts them in one batch, rather than the first alone because it woke up
    /// before the second was queued. (A batch is every acquisition queued back to back, so it can also hold those of
    /// later turns queued while the worker was busy.)
    /// </summary>
    private readonly ManualResetEventSlim _turnQueued = new(initialState: true);

    private Thread? _thread;

    /// <summary>Set by <see cref="Start"/> before the thread starts; read by the worker thread only.</summary>
    private RcHookRunner? _hooks;
    private RealtimeThreads? _realtime;

    /// <summary>No action queued and no result waiting for the loop.</summary>
    public bool IsIdle => _actions.Count == 0 && _results.IsEmpty;

    /// <summary>Starts the thread; <paramref name="hooks"/> runs local_giveip, <paramref name="realtime"/> sets its priority.</summary>
    public void Start(RcHookRunner hooks, RealtimeThreads realtime)
    {
        _hooks = hooks;
        _realtime = realtime;

        // A thread of its own, blocked until the planner issues an action: a takeover starts without waking a pool thread.
        _thread = new Thread(Run) { IsBackground = true, Name = "group worker" };
        _thread.Start();
    }

    /// <summary>
    /// Group actions run one after another in the order the planner issued them, as 3.0.6 acquires and releases groups
    /// in haresources order; each group also has its own queue in the executor.
    /// </summary>
    public void Enqueue(GroupRequest request) => _actions.TryAdd((request, Stopwatch.GetTimestamp(), time.GetUtcNow()));

    /// <summary>The loop is about to queue a turn's actions: the worker waits for all of them before it picks a batch.</summary>
    public void Hold() => _turnQueued.Reset();

    /// <summary>The turn's actions are queued.</summary>
    public void Release() => _turnQueued.Set();

    /// <summary>A finished action: its result, its cause, and how long it took from the decision (for the group_done event).</summary>
    public bool TryTakeResult(out (string Key, GroupAction Action, bool Success, string Reason, GroupCause Cause, TimeSpan Took) result) => _results.TryDequeue(out result);

    /// <summary>No more actions: the worker finishes the queued ones, then its thread ends.</summary>
    public void Complete() => _actions.CompleteAdding();

    public void Join() => _thread?.Join();

    /// <summary>
    /// The group worker: one action at a time, synchronously (a script's wait blocks this thread only; the loop goes on),
    /// except that acquisitions queued back to back start together (<see cref="ResourceExecutor.TakeGroupsAsync"/>), each
    /// still with a result of its own: one planner turn's (the groups of a dead node), and those of the turns queued
    /// after it while the worker was busy, up to the first other action. The order holds: nothing queued between them
    /// is passed over, and the planner has no group's acquisition pending twice.
    /// </summary>
    private void Run()
    {
        _realtime?.Enter("group worker");
        var batch = new List<(GroupRequest Request, long DecidedAt, DateTimeOffset DecidedWhen)>();
        (GroupRequest Request, long DecidedAt, DateTimeOffset DecidedWhen)? carried = null;
        while (true)
        {
            (GroupRequest Request, long DecidedAt, DateTimeOffset DecidedWhen) next;
            if (carried is { } kept)
            {
                next = kept;
                carried = null;
            }
            else if (!_actions.TryTake(out next, Timeout.Infinite))
            {
                // Completed and empty: the daemon is exiting.
                break;
            }

            if (!Batchable(next.Request))
            {
                RunOne(next);
                continue;
            }

            // The acquisitions queued right after this one (the rest of its turn, and of later turns if the worker was
            // busy), up to the first other action (kept for next).
            _turnQueued.Wait();
            batch.Clear();
            batch.Add(next);
            while (_actions.TryTake(out var more))
            {
                if (!Batchable(more.Request))
                {
                    carried = more;
                    break;
                }

                batch.Add(more);
            }

            if (batch.Count == 1)
            {
                RunOne(next);
            }
            else
            {
                RunAcquisitions(batch);
            }
        }
    }

    /// <summary>An acquisition no peer asked for (that one runs local_giveip first): it can start with others.</summary>
    private static bool Batchable(GroupRequest request) => request.Action == GroupAction.Acquire && request.RequestedBy is null;

    private void RunOne((GroupRequest Request, long DecidedAt, DateTimeOffset DecidedWhen) item)
    {
        var (request, decidedAt, decidedWhen) = item;
        var (key, action, requestedBy) = (request.Key, request.Action, request.RequestedBy);
        long pickedAt = Stopwatch.GetTimestamp();
        if (requestedBy is not null && _hooks is { } hooks)
        {
            // rc.d/ip-request runs $HA_RCDIR/local_giveip before it gives a group up at a peer's request.
            hooks.RunNowAsync(RcHooks.LocalGiveIp, RcHooks.LocalGiveIpEnvironment(key, requestedBy, nodeName), "ip-request").GetAwaiter().GetResult();
        }

        bool success;
        string reason;
        try
        {
            var outcome = action switch
            {
                GroupAction.Acquire => executor.TakeGroupAsync(key, CancellationToken.None).GetAwaiter().GetResult(),
                GroupAction.Release => executor.GiveGroupAsync(key, CancellationToken.None).GetAwaiter().GetResult(),
                _ => executor.AnnounceGroupAsync(key, CancellationToken.None).GetAwaiter().GetResult(),
            };
            success = outcome.Success;
            reason = outcome.Reason;
            if (success && action == GroupAction.Acquire)
            {
                LogAnnouncementDelay(key, request.IsTakeover, decidedAt, decidedWhen, pickedAt);
            }
        }
        catch (Exception ex) when (ResourceExecutor.IsActionFailure(ex))
        {
            MembershipLog.PlannerAction(logger, $"{action.ToString().ToLowerInvariant()} failed", key, ex.Message);
            success = false;
            reason = ex.Message;
        }

        _results.Enqueue((key, action, success, reason, request.Cause, Stopwatch.GetElapsedTime(decidedAt)));
        wakeLoop();
    }

    /// <summary>
    /// Acquisitions started together; a result for each, in the order queued. Each group's failure is its own outcome
    /// (<see cref="ResourceExecutor.TakeGroupsAsync"/>); what is caught here failed the batch before any group's own part.
    /// </summary>
    private void RunAcquisitions(List<(GroupRequest Request, long DecidedAt, DateTimeOffset DecidedWhen)> batch)
    {
        long pickedAt = Stopwatch.GetTimestamp();
        IReadOnlyList<GroupOutcome> outcomes;
        try
        {
            outcomes = executor.TakeGroupsAsync([.. batch.Select(b => b.Request.Key)], CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ResourceExecutor.IsActionFailure(ex))
        {
            outcomes = [.. batch.Select(b => new GroupOutcome(b.Request.Key, false, ex.Message))];
            foreach (var (request, _, _) in batch)
            {
                MembershipLog.PlannerAction(logger, "acquire failed", request.Key, ex.Message);
            }
        }

        for (int i = 0; i < batch.Count; i++)
        {
            var (request, decidedAt, decidedWhen) = batch[i];
            if (outcomes[i].Success)
            {
                LogAnnouncementDelay(request.Key, request.IsTakeover, decidedAt, decidedWhen, pickedAt);
            }

            _results.Enqueue((request.Key, GroupAction.Acquire, outcomes[i].Success, outcomes[i].Reason, request.Cause, Stopwatch.GetElapsedTime(decidedAt)));
        }

        wakeLoop();
    }

    /// <summary>
    /// The takeover path as this process saw it: from the acquisition decided (a death, a shutdone, a grant) to the
    /// group worker picking it up, to the address requested from the kernel, to the first gratuitous ARP (IPv6: neighbour advertisement) sent.
    /// </summary>
    private void LogAnnouncementDelay(string key, bool takeover, long decidedAt, DateTimeOffset decidedWhen, long pickedAt)
    {
        IpAddressResource? first = null;
        foreach (var address in executor.AddressesOf(key))
        {
            if (address.FirstAnnouncementAt >= decidedAt && (first is null || address.FirstAnnouncementAt < first.FirstAnnouncementAt))
            {
                first = address;
            }
        }

        if (first is not null)
        {
            if (takeover)
            {
                executor.Counters.TakeoverDurations.Observe(Stopwatch.GetElapsedTime(decidedAt, first.FirstAnnouncementAt));
            }

            MembershipLog.FirstAnnouncement(
                logger,
                key,
                first.FirstAnnouncementKind,
                (long)Stopwatch.GetElapsedTime(decidedAt, first.FirstAnnouncementAt).TotalMicroseconds,
                (long)Stopwatch.GetElapsedTime(decidedAt, pickedAt).TotalMicroseconds,
                (long)Stopwatch.GetElapsedTime(decidedAt, first.AddressRequestedAt).TotalMicroseconds,
                decidedWhen.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
        }
    }
}
