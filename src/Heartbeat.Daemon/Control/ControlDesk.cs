using System.Collections.Concurrent;
using Heartbeat.Daemon.Logging;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Control;
using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Resources;

namespace Heartbeat.Daemon.Membership;

/// <summary>
/// The control socket's requests, answered on the event loop (engine and planner are single-threaded): a status
/// snapshot, and the standby/takeover commands of hb_standby and hb_takeover.
/// </summary>
public sealed partial class MembershipService
{
    private readonly ConcurrentQueue<(ControlRequest Request, TaskCompletionSource<ControlResponse> Reply)> _controlRequests = new();

    /// <summary>What each group did last: state, reason, when (loop thread only).</summary>
    private readonly Dictionary<string, (string State, string? Reason, DateTimeOffset At)> _groupStates = new(StringComparer.Ordinal);

    /// <summary>The last failed start or stop of each group here (loop thread only).</summary>
    private readonly Dictionary<string, string> _groupFailures = new(StringComparer.Ordinal);

    private int _reloadRequested;

    /// <summary>
    /// SIGHUP (heartbeat -r, systemctl reload): a flag and a wake-up, nothing else, so the signal's handler needs no
    /// task, continuation or queue slot; the loop reloads on its next turn and logs the outcome itself.
    /// </summary>
    public void RequestReload()
    {
        Volatile.Write(ref _reloadRequested, 1);
        WakeLoop(LoopInput.Wake);
    }

    private void ReloadIfRequested(MembershipEngine engine)
    {
        if (Interlocked.Exchange(ref _reloadRequested, 0) != 0)
        {
            var result = Reload(engine, dryRun: false);
            MembershipLog.ReloadResult(logger, result.Ok ? result.Message ?? "done" : result.Error ?? "refused");
        }
    }

    /// <summary>Hands a request to the loop; it is answered on the loop turn it wakes, or refused when the loop is not running.</summary>
    public Task<ControlResponse> SubmitAsync(ControlRequest request)
    {
        var reply = new TaskCompletionSource<ControlResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Engine is null)
        {
            reply.SetResult(Refuse("the daemon is not running its cluster loop (starting or stopping)"));
            return reply.Task;
        }

        _controlRequests.Enqueue((request, reply));

        // Answered on the loop turn this wakes: no waiting for a deadline.
        WakeLoop(LoopInput.Wake);
        return reply.Task;
    }

    private static ControlResponse Refuse(string why) => new(ControlRequest.CurrentVersion, Ok: false, Error: why);

    private void AnswerControlRequests(MembershipEngine engine)
    {
        if (_controlRequests.IsEmpty)
        {
            return;
        }

        // Figures as of before this turn's answers; what the answers allocate is kept out of the loop's own count.
        _loopAllocatedAtAnswer = LoopAllocatedBytes();
        long before = GC.GetAllocatedBytesForCurrentThread();
        while (_controlRequests.TryDequeue(out var pending))
        {
            ControlResponse response;
            try
            {
                response = Handle(engine, pending.Request);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or KeyNotFoundException)
            {
                // A bad request must never take the loop down.
                response = Refuse(ex.Message);
            }

            pending.Reply.TrySetResult(response);

            // A status request changes nothing; standby, takeover and reload may change what systemd's STATUS= shows.
            _summaryStale |= pending.Request.Command != "status";
        }

        _controlAllocatedBytes += GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private void RefuseControlRequests()
    {
        while (_controlRequests.TryDequeue(out var pending))
        {
            pending.Reply.TrySetResult(Refuse("the daemon is shutting down"));
        }
    }

    private ControlResponse Handle(MembershipEngine engine, ControlRequest request)
    {
        if (request.Version != ControlRequest.CurrentVersion)
        {
            return Refuse($"control protocol version {request.Version} is not supported (this daemon speaks {ControlRequest.CurrentVersion})");
        }

        switch (request.Command)
        {
            case "status":
                return new ControlResponse(ControlRequest.CurrentVersion, Ok: true, Status: BuildStatus(engine));
            case "reload":
                return Reload(engine, dryRun: request.Argument == "dry-run");
            case "standby":
            case "takeover":
                string argument = request.Argument ?? "all";
                if (argument is not ("all" or "local" or "foreign" or "failback"))
                {
                    return Refuse($"'{argument}' is not one of all, local, foreign, failback");
                }

                if (_planner is null)
                {
                    return Refuse("no resource negotiation: v1 resources need a two-node cluster");
                }

                if (_planner is not ResourcePlanner planner)
                {
                    // 3.0.6's own words for hb_standby/hb_takeover with auto_failback legacy.
                    return Refuse("Standby mode only implemented when nice_failback on (auto_failback on or off)");
                }

                if (!engine.Peers.Any(p => !p.IsDead))
                {
                    return Refuse("no live peer to hand groups to or take them from");
                }

                if (request.Command == "takeover")
                {
                    planner.RequestTakeover(argument);
                    MembershipLog.ControlCommand(logger, "takeover", argument);
                    return new ControlResponse(ControlRequest.CurrentVersion, Ok: true, Message: $"asked the peer to go standby so that this node takes {argument}");
                }

                // hb_standby failback = foreign (the groups whose home is the peer).
                var set = argument switch { "local" => HoldSet.Local, "foreign" or "failback" => HoldSet.Foreign, _ => HoldSet.All };
                string? refused = planner.RequestStandby(set);
                if (refused is not null)
                {
                    return Refuse($"standby refused: {refused}");
                }

                MembershipLog.ControlCommand(logger, "standby", argument);
                return new ControlResponse(ControlRequest.CurrentVersion, Ok: true, Message: $"going standby: giving {ResourcePlanner.Name(set)} groups to the peer");
            default:
                return Refuse($"unknown command '{request.Command}'");
        }
    }

    /// <summary>The files the running configuration came from (compared at a reload).</summary>
    private Protocol.Config.ConfigFiles? _runningFiles;

    private Systemd.SystemdNotifier? _systemd;

    /// <summary>The keys in use after a reload changed them (the status names the method and index, never the secret).</summary>
    private Protocol.Auth.AuthKeys? _runningKeys;

    /// <summary>
    /// Validate, then apply: the files are read and checked first; any error keeps the running configuration and says
    /// why (file:line). A change only to timers or keys is applied in place (no resource moves); anything else needs a
    /// restart, which is refused with the changes named rather than done behind the operator's back (3.0.6 restarts).
    /// </summary>
    private ControlResponse Reload(MembershipEngine engine, bool dryRun)
    {
        var files = Config.ConfigDirectory.Read(settings.ConfigDirectory);
        var check = Protocol.Config.ClusterConfigLoader.Load(files, new Config.SystemHostFacts(), settings.NodeName);
        var errors = check.Diagnostics.Where(d => d.Severity == Protocol.Config.DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        if (check.Config is null || errors.Count > 0)
        {
            foreach (string error in errors)
            {
                MembershipLog.ConfigDiagnostic(logger, error);
            }

            MembershipLog.ReloadRefused(logger, "the files have errors", errors.Count);
            return Refuse("the new configuration has errors; the running one stays:\n" + string.Join('\n', errors));
        }

        var plan = Protocol.Config.ReloadPlan.Compare(_runningFiles ?? files, files);
        if (plan.NothingChanged)
        {
            return new ControlResponse(ControlRequest.CurrentVersion, Ok: true, Message: "nothing changed");
        }

        if (!plan.CanApply)
        {
            MembershipLog.ReloadRefused(logger, "changes need a restart: " + string.Join("; ", plan.NeedRestart), plan.NeedRestart.Count);
            return Refuse("these changes need a restart (the peer takes over meanwhile); nothing was applied:\n" + string.Join('\n', plan.NeedRestart));
        }

        if (dryRun)
        {
            return new ControlResponse(ControlRequest.CurrentVersion, Ok: true, Message: "would apply in place:\n" + string.Join('\n', plan.Changes));
        }

        _systemd?.Notify("RELOADING=1");
        engine.Reconfigure(MembershipOptions.FromConfig(check.Config.HaCf), new Protocol.Auth.Authenticator(check.Config.AuthKeys));
        _runningKeys = check.Config.AuthKeys;
        _runningFiles = files;
        foreach (string change in plan.Changes)
        {
            MembershipLog.ReloadApplied(logger, change);
        }

        _systemd?.Notify("READY=1");
        return new ControlResponse(ControlRequest.CurrentVersion, Ok: true, Message: "applied in place, no resource moved:\n" + string.Join('\n', plan.Changes));
    }

    private StatusReport BuildStatus(MembershipEngine engine)
    {
        var peers = engine.Peers.Select(p => new PeerReport(
            p.Name,
            p.Status,
            p.Generation,
            p.LastStatusAt is { } at ? (long)(engine.Now - at).TotalMilliseconds : null,
            (_planner as PlannerBase)?.PeerIsOurs ?? false,
            [.. p.Links.Values.Select(l => new LinkReport(l.Interface, l.Up, l.Up || l.LastHeard > TimeSpan.Zero ? (long)(engine.Now - l.LastHeard).TotalMilliseconds : null))])).ToList();
        var held = _planner?.Held ?? [];
        string? peer = engine.Peers.Take(2).ToArray() is [var only] ? only.Name : null; // v1 negotiation: two nodes
        var groups = config.Resources.Groups.Select(g =>
        {
            bool isHeld = held.Contains(g.Key);
            var (state, reason, at) = _groupStates.TryGetValue(g.Key, out var s) ? s : (isHeld ? "held" : "stopped", (string?)null, (DateTimeOffset?)null);
            string? owner = isHeld ? settings.NodeName : _planner is ResourcePlanner planner && planner.PeerHolds(g.Key) ? peer : null;
            return new GroupReport(g.Key, g.Node, isHeld, state, reason, at, _groupFailures.GetValueOrDefault(g.Key), owner);
        }).ToList();
        return new StatusReport(
            settings.NodeName,
            engine.LocalStatus,
            engine.Local.Generation,
            config.HaCf.AutoFailback.ToString().ToLowerInvariant(),
            _planner?.State.ToString() ?? "none",
            ResourcePlanner.Name(_planner?.Holding ?? HoldSet.None),
            _planner?.InTransition ?? false,
            peers,
            groups,
            engine.Local.Uuid.ToString(),
            typeof(MembershipService).Assembly.GetName().Version?.ToString(3) ?? "0",
            [.. config.HaCf.Nodes.Select(n => n.Name).Distinct(StringComparer.Ordinal)],
            [.. config.HaCf.Media.Select(m => m.Interface).Distinct(StringComparer.Ordinal)],
            Counters(engine),
            ConfigSummary(engine));
    }

    private ConfigReport ConfigSummary(MembershipEngine engine)
    {
        var options = engine.Options;
        var key = _runningKeys ?? config.AuthKeys;
        return new ConfigReport(
            settings.ConfigDirectory,
            (long)options.Keepalive.TotalMilliseconds,
            (long)options.Deadtime.TotalMilliseconds,
            (long)options.Warntime.TotalMilliseconds,
            (long)options.Initdead.TotalMilliseconds,
            config.HaCf.UdpPort,
            [.. config.HaCf.Media.Select(m => m.Describe())],
            $"{Protocol.Auth.AuthKey.MethodName(key.Active.Method)} (key {key.Active.Index})",
            config.Resources.Groups.Length);
    }

    private CountersReport Counters(MembershipEngine engine)
    {
        var c = engine.Counters;
        return new CountersReport(
            c.Received,
            c.Sent,
            c.Duplicates,
            Interlocked.Read(ref _sendErrors),
            c.RejectedByReason.OrderBy(p => p.Key).ToDictionary(p => p.Key.ToString(), p => p.Value, StringComparer.Ordinal),
            c.RetransmitRequestsSent,
            c.RetransmissionsServed,
            c.LateHeartbeats,
            c.WorstLateMilliseconds,
            _takeovers,
            [.. (_media?.Senders ?? []).Select(m => new MediumCounters(m.Medium.Describe(), m.Sent, m.SendErrors))],
            [.. (_media?.Receivers ?? []).Select(r => new SocketCounters(r.Description, r.Received))],
            Interlocked.Read(ref _inputDropped),
            _loopAllocatedAtAnswer);
    }

    private void RecordGroupState(string key, string state, string? reason) => _groupStates[key] = (state, reason, time.GetUtcNow());

    private void RecordGroupResult(string key, GroupAction action, bool success, string reason)
    {
        switch (action)
        {
            case GroupAction.Acquire:
                RecordGroupState(key, success ? "held" : "failed", success ? _groupStates.GetValueOrDefault(key).Reason : $"start failed: {reason}");
                if (success)
                {
                    _groupFailures.Remove(key);
                }
                else
                {
                    _groupFailures[key] = $"{time.GetUtcNow():u} start failed: {reason}";
                    MembershipLog.GroupStartFailed(logger, key, reason);
                }

                break;
            case GroupAction.Release:
                RecordGroupState(key, success ? "stopped" : "stop failed", success ? _groupStates.GetValueOrDefault(key).Reason : $"stop failed: {reason}");
                if (!success)
                {
                    _groupFailures[key] = $"{time.GetUtcNow():u} stop failed: {reason}";
                }
                break;
            case GroupAction.Announce:
                RecordGroupState(key, "held", "re-announced");
                break;
        }
    }
}
