using System.Collections.Concurrent;
using Heartbeat.Daemon.Config;
using Heartbeat.Daemon.Logging;
using Heartbeat.Protocol.Control;
using Heartbeat.Protocol.Node;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Control;

/// <summary>
/// The control socket's requests, answered on the event loop (the node is single-threaded): a status
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
            reply.SetResult(ControlResponse.Refused("the daemon is not running its cluster loop (starting or stopping)"));
            return reply.Task;
        }

        _requests.Enqueue((request, reply));
        if (!_open)
        {
            // The loop closed the desk between the check above and the enqueue: its last drain may have missed this
            // request, which would then never be answered (the client waits for its timeout).
            RefuseQueued();
            return reply.Task;
        }

        // Answered on the loop turn this wakes: no waiting for a deadline.
        _wakeLoop();
        return reply.Task;
    }

    /// <summary>The loop has its engine: requests are taken from now on (loop thread).</summary>
    internal void Open() => _open = true;

    /// <summary>The loop is ending: new requests are refused, and so are those still queued (loop thread).</summary>
    internal void Close()
    {
        _open = false;
        RefuseQueued();
    }

    /// <summary>Refuses every queued request (any thread: each is dequeued once).</summary>
    private void RefuseQueued()
    {
        while (_requests.TryDequeue(out var pending))
        {
            pending.Reply.TrySetResult(ControlResponse.Refused("the daemon is shutting down"));
        }
    }

    /// <summary>Answers the queued requests (loop thread); true when one may have changed what systemd's STATUS= shows.</summary>
    internal bool Answer(ClusterNode node)
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
                response = Handle(node, pending.Request);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or KeyNotFoundException)
            {
                // A bad request must never take the loop down.
                response = ControlResponse.Refused(ex.Message);
            }

            pending.Reply.TrySetResult(response);

            // A status request changes nothing; standby, takeover and reload may change what systemd's STATUS= shows.
            changed |= pending.Request.Command != "status";
        }

        _allocations.EndAnswers(before);
        return changed;
    }

    private ControlResponse Handle(ClusterNode node, ControlRequest request)
    {
        if (request.Version != ControlRequest.CurrentVersion)
        {
            return ControlResponse.Refused($"control protocol version {request.Version} is not supported (this daemon speaks {ControlRequest.CurrentVersion})");
        }

        switch (request.Command)
        {
            case "status":
                return new ControlResponse(ControlRequest.CurrentVersion, Ok: true, Status: _status.Build(node));
            case "reload":
                return _reloader.Reload(node, dryRun: request.Argument == "dry-run");
            case "standby":
            case "takeover":
                return StandbyOrTakeover(node, request.Command, request.Argument ?? "all");
            default:
                return ControlResponse.Refused($"unknown command '{request.Command}'");
        }
    }

    /// <summary>
    /// hb_standby and hb_takeover: the peer takes our groups, or we ask it to give us its. Whether and how is the
    /// node's decision (its refusals carry 3.0.6's words where 3.0.6 has them); the desk logs what was accepted.
    /// </summary>
    private ControlResponse StandbyOrTakeover(ClusterNode node, string command, string argument)
    {
        var outcome = command == "takeover" ? node.RequestTakeover(argument) : node.RequestStandby(argument);
        if (!outcome.Accepted)
        {
            return ControlResponse.Refused(outcome.Message);
        }

        MembershipLog.ControlCommand(_logger, command, argument);
        return new ControlResponse(ControlRequest.CurrentVersion, Ok: true, Message: outcome.Message);
    }
}
