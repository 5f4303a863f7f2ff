using System.Collections.Concurrent;
using Heartbeat.Daemon.Config;
using Heartbeat.Daemon.Logging;
using Heartbeat.Daemon.Node;
using Heartbeat.Protocol.Control;
using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Resources;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Control;

/// <summary>
/// The control socket's requests, answered on the event loop (engine and planner are single-threaded): a status
/// snapshot, a reload, and the standby/takeover commands of hb_standby and hb_takeover. Threads: the control socket's
/// callers submit (any thread); the loop thread opens and closes the desk and answers.
/// </summary>
public sealed class ControlDesk
{
    private readonly ConcurrentQueue<(ControlRequest Request, TaskCompletionSource<ControlResponse> Reply)> _requests = new();
    private readonly Action _wakeLoop;
    private readonly ConfigReloader _reloader;
    private readonly StatusBuilder _status;
    private readonly LoopAllocations _allocations;
    private readonly ILogger _logger;

    /// <summary>Whether the loop is running its cluster loop (written by the loop thread, read by submitters).</summary>
    private volatile bool _open;

    internal ControlDesk(Action wakeLoop, ConfigReloader reloader, StatusBuilder status, LoopAllocations allocations, ILogger logger)
    {
        _wakeLoop = wakeLoop;
        _reloader = reloader;
        _status = status;
        _allocations = allocations;
        _logger = logger;
    }

    /// <summary>Hands a request to the loop; it is answered on the loop turn it wakes, or refused when the loop is not running.</summary>
    public Task<ControlResponse> SubmitAsync(ControlRequest request)
    {
        var reply = new TaskCompletionSource<ControlResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_open)
        {
            reply.SetResult(Refuse("the daemon is not running its cluster loop (starting or stopping)"));
            return reply.Task;
        }

        _requests.Enqueue((request, reply));

        // Answered on the loop turn this wakes: no waiting for a deadline.
        _wakeLoop();
        return reply.Task;
    }

    internal static ControlResponse Refuse(string why) => new(ControlRequest.CurrentVersion, Ok: false, Error: why);

    /// <summary>The loop has its engine: requests are taken from now on (loop thread).</summary>
    internal void Open() => _open = true;

    /// <summary>The loop is ending: new requests are refused, and so are those still queued (loop thread).</summary>
    internal void Close()
    {
        _open = false;
        while (_requests.TryDequeue(out var pending))
        {
            pending.Reply.TrySetResult(Refuse("the daemon is shutting down"));
        }
    }

    /// <summary>Answers the queued requests (loop thread); true when one may have changed what systemd's STATUS= shows.</summary>
    internal bool Answer(MembershipEngine engine, IResourcePlanner? planner)
    {
        if (_requests.IsEmpty)
        {
            return false;
        }

        bool changed = false;
        long before = _allocations.BeginAnswers();
        while (_requests.TryDequeue(out var pending))
        {
            ControlResponse response;
            try
            {
                response = Handle(engine, planner, pending.Request);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or KeyNotFoundException)
            {
                // A bad request must never take the loop down.
                response = Refuse(ex.Message);
            }

            pending.Reply.TrySetResult(response);

            // A status request changes nothing; standby, takeover and reload may change what systemd's STATUS= shows.
            changed |= pending.Request.Command != "status";
        }

        _allocations.EndAnswers(before);
        return changed;
    }

    private ControlResponse Handle(MembershipEngine engine, IResourcePlanner? planner, ControlRequest request)
    {
        if (request.Version != ControlRequest.CurrentVersion)
        {
            return Refuse($"control protocol version {request.Version} is not supported (this daemon speaks {ControlRequest.CurrentVersion})");
        }

        switch (request.Command)
        {
            case "status":
                return new ControlResponse(ControlRequest.CurrentVersion, Ok: true, Status: _status.Build(engine, planner));
            case "reload":
                return _reloader.Reload(engine, dryRun: request.Argument == "dry-run");
            case "standby":
            case "takeover":
                return StandbyOrTakeover(engine, planner, request.Command, request.Argument ?? "all");
            default:
                return Refuse($"unknown command '{request.Command}'");
        }
    }

    /// <summary>hb_standby and hb_takeover: the peer takes our groups, or we ask it to give us its.</summary>
    private ControlResponse StandbyOrTakeover(MembershipEngine engine, IResourcePlanner? resourcePlanner, string command, string argument)
    {
        if (argument is not ("all" or "local" or "foreign" or "failback"))
        {
            return Refuse($"'{argument}' is not one of all, local, foreign, failback");
        }

        if (resourcePlanner is null)
        {
            return Refuse("no resource negotiation: v1 resources need a two-node cluster");
        }

        if (resourcePlanner is not ResourcePlanner planner)
        {
            // 3.0.6's own words for hb_standby/hb_takeover with auto_failback legacy.
            return Refuse("Standby mode only implemented when nice_failback on (auto_failback on or off)");
        }

        if (!engine.Peers.Any(p => !p.IsDead))
        {
            return Refuse("no live peer to hand groups to or take them from");
        }

        if (command == "takeover")
        {
            planner.RequestTakeover(argument);
            MembershipLog.ControlCommand(_logger, "takeover", argument);
            return new ControlResponse(ControlRequest.CurrentVersion, Ok: true, Message: $"asked the peer to go standby so that this node takes {argument}");
        }

        // hb_standby failback = foreign (the groups whose home is the peer).
        var set = argument switch { "local" => HoldSet.Local, "foreign" or "failback" => HoldSet.Foreign, _ => HoldSet.All };
        string? refused = planner.RequestStandby(set);
        if (refused is not null)
        {
            return Refuse($"standby refused: {refused}");
        }

        MembershipLog.ControlCommand(_logger, "standby", argument);
        return new ControlResponse(ControlRequest.CurrentVersion, Ok: true, Message: $"going standby: giving {ResourcePlanner.Name(set)} groups to the peer");
    }
}
