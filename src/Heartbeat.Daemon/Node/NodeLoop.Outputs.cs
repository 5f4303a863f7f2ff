using Heartbeat.Daemon.Logging;
using Heartbeat.Daemon.Media;
using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Node;

namespace Heartbeat.Daemon.Node;

/// <summary>
/// Carrying out what the pure <see cref="ClusterNode"/> decided (loop thread only): its group requests go to the
/// group worker, its datagrams onto every medium, its events into the log, its hook requests to the rc.d runner; the
/// worker's results go back to it. No decision is made here: which event moves which group, what counts as a
/// takeover, when to leave, all of that is the node's.
/// </summary>
public sealed partial class NodeLoop
{
    /// <summary>The pump's outputs, reused from turn to turn (nothing is allocated at rest).</summary>
    private readonly NodeOutputs _outputs = new();

    /// <summary>
    /// One pump of the node and everything it produced. Group requests are handed to the worker first, so a takeover's
    /// start waits for no send and no log line (before the split, a datagram of an earlier round of the same turn went
    /// out first); then the datagrams go out in the node's order; then the hooks are queued; then the events and the
    /// group actions are logged.
    /// </summary>
    private void Flush(ClusterNode node, MediaSet media)
    {
        _summaryStale |= node.Pump(_outputs);
        if (_outputs.IsEmpty)
        {
            return;
        }

        // Indexed over reused lists: a foreach over an interface would take the generic enumerator path every turn.
        var requests = _outputs.GroupRequests;
        if (requests.Count > 0)
        {
            // All of the turn's actions queued before the worker picks: acquisitions due together start together.
            _groupWorker.Hold();
            try
            {
                for (int i = 0; i < requests.Count; i++)
                {
                    StartGroupAction(requests[i]);
                }
            }
            finally
            {
                _groupWorker.Release();
            }
        }

        StartFences(_outputs);

        var datagrams = _outputs.Datagrams;
        for (int i = 0; i < datagrams.Count; i++)
        {
            Send(node, media, datagrams[i]);
        }

        var echoes = _outputs.Echoes;
        for (int i = 0; i < echoes.Count; i++)
        {
            _pingSockets?.Send(echoes[i]);
        }

        // The hooks are queued before the log lines are formatted: their runner works on a thread of its own.
        var hooks = _outputs.Hooks;
        for (int i = 0; i < hooks.Count; i++)
        {
            _hooks?.Enqueue(hooks[i].Hook, hooks[i].Environment);
        }

        var events = _outputs.Events;
        for (int i = 0; i < events.Count; i++)
        {
            _eventLog.LogEvent(node.Membership, events[i]);
        }

        for (int i = 0; i < requests.Count; i++)
        {
            LogGroupAction(node, requests[i]);
        }

        LogFencing(_outputs);

        var leftDown = _outputs.GroupsLeftDown;
        for (int i = 0; i < leftDown.Count; i++)
        {
            ResourceLog.GroupLeftDown(_logger, leftDown[i].Key, leftDown[i].Reason);
        }

        var asked = _outputs.PeersAskedToYield;
        for (int i = 0; i < asked.Count; i++)
        {
            ResourceLog.PeerAskedToYield(_logger, asked[i].Peer, asked[i].Set, asked[i].Attempt);
        }

        _outputs.Clear();
    }

    /// <summary>
    /// Hands a group action to the worker. A release is marked before it is queued, so the VIP watch can never put back
    /// an address the worker is taking down; an acquisition clears that mark.
    /// </summary>
    private void StartGroupAction(GroupRequest request)
    {
        switch (request.Action)
        {
            case GroupAction.Acquire:
                _groupWorker.Enqueue(request);
                _vipWatch.Acquiring(request.Key);
                break;
            case GroupAction.Release:
                _vipWatch.Releasing(request.Key);
                _groupWorker.Enqueue(request);
                break;
            case GroupAction.Announce:
                _groupWorker.Enqueue(request);
                break;
        }
    }

    /// <summary>The log line of a group action, the takeover event (by the request's cause), and the group's status line.</summary>
    private void LogGroupAction(ClusterNode node, GroupRequest request)
    {
        switch (request.Action)
        {
            case GroupAction.Acquire:
                MembershipLog.PlannerAction(_logger, "acquire", request.Key, request.Reason);
                if (request.IsTakeover)
                {
                    // One event to find every failover by (journalctl HB_EVENT=takeover).
                    MembershipLog.Takeover(_logger, request.Key, node.GroupOf(request.Key)?.Node ?? "?", request.Reason);
                }

                _groupStates.Record(request.Key, "starting", request.Reason);
                break;
            case GroupAction.Release:
                MembershipLog.PlannerAction(_logger, "release", request.Key, request.Reason);
                _groupStates.Record(request.Key, "stopping", request.Reason);
                break;
            case GroupAction.Announce:
                MembershipLog.PlannerAction(_logger, "announce", request.Key, request.Reason);
                break;
        }
    }

    /// <summary>The group worker's finished actions, recorded and reported to the node.</summary>
    private void TakeGroupResults(ClusterNode node)
    {
        while (_groupWorker.TryTakeResult(out var done))
        {
            _summaryStale = true;
            _groupStates.RecordResult(done.Key, done.Action, done.Success, done.Reason);

            // Logged here, not by the worker: the event stream then has it after the decision it ends (node_dead, takeover).
            MembershipLog.GroupDone(_logger, done.Key, done.Action.ToString().ToLowerInvariant(), done.Success ? "done" : "failed", (long)done.Took.TotalMilliseconds, Protocol.Metrics.PrometheusText.SnakeCase(done.Cause.ToString()));
            node.GroupFinished(done.Key, done.Action, done.Success);
            if (done.Action == GroupAction.Acquire && done.Success)
            {
                _vipWatch.GroupAcquired();
            }
        }
    }

    private void Send(ClusterNode node, MediaSet media, OutgoingDatagram datagram)
    {
        foreach (var sender in media.Senders)
        {
            int errno = sender.Send(datagram.Bytes.Span);
            node.ReportOwnLink(sender.Interface, errno == 0);
            if (errno != 0)
            {
                long count = _counters.SendFailed();
                if (count <= 10 || count % 100 == 0)
                {
                    MembershipLog.SendFailed(_logger, sender.Medium.Describe(), System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno), errno, count);
                }
            }
        }
    }
}
