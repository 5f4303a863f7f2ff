using Heartbeat.Daemon.Config;
using Heartbeat.Daemon.Control;
using Heartbeat.Daemon.Logging;
using Heartbeat.Daemon.Media;
using Heartbeat.Daemon.Resources;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Fencing;
using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Metrics;
using Heartbeat.Protocol.Node;
using Heartbeat.Protocol.Ping;
using Heartbeat.Protocol.Resources;

namespace Heartbeat.Daemon.Metrics;

/// <summary>
/// Every metric the daemon exposes, one registration each: name, help, labels, and where the figure is read (the
/// core's counters and view, the loop's, the resource side's). Adding a metric is one line here; its counting belongs
/// where the decision is made. The loop publishes at most every <see cref="PublishInterval"/> (loop thread: the
/// readers run there, so they may read the node); a scrape renders the last publication on its own thread.
/// </summary>
internal sealed class NodeMetrics
{
    /// <summary>Fresh enough for a 1 s scrape interval; a turn of the loop publishes only when this much time has passed.</summary>
    public static readonly TimeSpan PublishInterval = TimeSpan.FromMilliseconds(250);

    public static readonly string[] NodeStates = [NodeStatus.Init, NodeStatus.Up, NodeStatus.Active, NodeStatus.Dead];

    /// <summary>The group states the status shows (GroupStates).</summary>
    public static readonly string[] GroupStateNames = ["stopped", "starting", "held", "stopping", "failed", "stop failed"];

    private readonly MetricBoard _board;
    private TimeSpan _nextPublish;

    public NodeMetrics(MetricBoard board) => _board = board;

    /// <summary>Registers every series (once, on the loop thread before its first turn) and seals the board.</summary>
    public void Register(ClusterNode node, ClusterConfig config, MediaSet media, LoopCounters loop, GroupStates groups, ConfigReloader reloader, ResourceExecutor executor, string version)
    {
        var m = _board;
        var engine = node.Membership;
        var c = engine.Counters;
        var r = executor.Counters;
        var started = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

        m.Gauge("heartbeat_build_info", "HeartbeatNet's version, and the Heartbeat release it speaks to; always 1.", () => 1, ("version", version), ("compatible", "3.0.6"));
        m.Gauge("heartbeat_start_time_seconds", "When this daemon started, in seconds since the epoch.", () => started);

        // This node and its peers, and the links to each peer over every interface of ha.cf's media.
        foreach (string state in NodeStates)
        {
            m.Gauge("heartbeat_node_state", "1 for the state each node is in as this node sees it (init, up, active, dead), else 0.", () => engine.LocalStatus == state ? 1 : 0, ("node", node.LocalName), ("state", state));
        }

        string[] interfaces = [.. config.HaCf.Media.Select(x => x.Interface).Distinct(StringComparer.Ordinal)];
        foreach (var peer in engine.Peers.ToList())
        {
            foreach (string state in NodeStates)
            {
                m.Gauge("heartbeat_node_state", "", () => peer.Status == state ? 1 : 0, ("node", peer.Name), ("state", state));
            }

            m.Gauge("heartbeat_node_last_heard_age_seconds", "Seconds since the last status from a peer (NaN before the first).", () => peer.LastStatusAt is { } at ? (engine.Now - at).TotalSeconds : double.NaN, ("node", peer.Name));
            foreach (string iface in interfaces)
            {
                m.Gauge("heartbeat_link_up", "1 while packets from a peer arrive over an interface, else 0.", () => peer.Links.TryGetValue(iface, out var l) && l.Up ? 1 : 0, ("node", peer.Name), ("interface", iface));
                m.Gauge("heartbeat_link_last_heard_age_seconds", "Seconds since a packet from a peer last came over an interface (NaN before the first).", () => peer.Links.TryGetValue(iface, out var l) && (l.Up || l.LastHeard > TimeSpan.Zero) ? (engine.Now - l.LastHeard).TotalSeconds : double.NaN, ("node", peer.Name), ("interface", iface));
            }
        }

        // Resource groups: who holds each, what it does here, and every transition by its cause.
        foreach (var group in config.Resources.Groups)
        {
            string key = group.Key;
            m.Gauge("heartbeat_group_held", "1 while this node holds a resource group (started and reported), else 0.", () => node.Held.Contains(key) ? 1 : 0, ("group", key), ("home", group.Node));
            foreach (string holder in config.HaCf.Nodes.Select(n => n.Name).Distinct(StringComparer.Ordinal))
            {
                m.Gauge("heartbeat_group_owner", "1 for the node that holds a group as this node knows it, else 0.", () => node.HolderOf(key) == holder ? 1 : 0, ("group", key), ("node", holder));
            }

            foreach (string state in GroupStateNames)
            {
                m.Gauge("heartbeat_group_state", "1 for what a group is doing here (stopped, starting, held, stopping, failed, stop failed), else 0.", () => (groups.TryGet(key, out var s) ? s.State : node.Held.Contains(key) ? "held" : "stopped") == state ? 1 : 0, ("group", key), ("state", state));
            }
        }

        foreach (var action in Enum.GetValues<GroupAction>())
        {
            foreach (var cause in Enum.GetValues<GroupCause>())
            {
                m.Counter("heartbeat_group_transitions_total", "Group actions this node decided, by action (acquire, release, announce) and cause.", () => node.Transitions(action, cause), ("action", PrometheusText.SnakeCase(action.ToString())), ("cause", PrometheusText.SnakeCase(cause.ToString())));
            }
        }

        m.Counter("heartbeat_takeovers_total", "Groups taken over from a dead or departed peer.", () => node.Takeovers);
        m.Histogram("heartbeat_takeover_duration_seconds", "From a takeover handed to the group worker (the peer declared dead or gone; after its STONITH reset, if one was needed) to its first gratuitous ARP or neighbour advertisement.", r.TakeoverDurations);

        // Heartbeats and packets.
        m.Histogram("heartbeat_keepalive_interval_seconds", "Time between consecutive statuses (heartbeats) received from a peer.", c.HeartbeatIntervals);
        m.Counter("heartbeat_late_heartbeats_total", "Statuses that came later than warntime after the previous one.", () => c.LateHeartbeats);
        m.Counter("heartbeat_messages_sent_total", "Messages this node sent (each goes out on every medium).", () => c.Sent);
        m.Counter("heartbeat_messages_received_total", "Datagrams handed to the membership layer.", () => c.Received);
        m.Counter("heartbeat_messages_duplicate_total", "Received messages already seen (a copy over another medium, or a retransmission).", () => c.Duplicates);
        foreach (var sender in media.Senders)
        {
            m.Counter("heartbeat_packets_sent_total", "Datagrams sent, by medium.", () => sender.Sent, ("medium", sender.Medium.Describe()));
            m.Counter("heartbeat_send_errors_total", "Sends that failed, by medium.", () => sender.SendErrors, ("medium", sender.Medium.Describe()));
        }

        foreach (var receiver in media.Receivers)
        {
            m.Counter("heartbeat_packets_received_total", "Datagrams read, by receiving socket (bcast and ucast of one interface and port share one).", () => receiver.Received, ("socket", receiver.Description));
        }

        foreach (var reason in Enum.GetValues<RejectReason>())
        {
            m.Counter("heartbeat_packets_rejected_total", "Datagrams refused, by reason (authentication, replay, unknown node, ...).", () => c.Rejected(reason), ("reason", PrometheusText.SnakeCase(reason.ToString())));
        }

        m.Counter("heartbeat_input_dropped_total", "Datagrams dropped because the event loop's queue was full (a flood).", () => loop.InputDropped);
        m.Counter("heartbeat_retransmit_requests_total", "Retransmissions this node asked peers for.", () => c.RetransmitRequestsSent);
        m.Counter("heartbeat_retransmissions_served_total", "Retransmission requests from peers this node answered.", () => c.RetransmissionsServed);

        // Ping nodes (ping, ping6, ping_group) and the built-in ipfail's view of them.
        foreach (var ping in node.PingNodes?.Nodes ?? [])
        {
            m.Gauge("heartbeat_ping_node_up", "1 while a ping node answers (status ping), 0 once declared dead or before its first reply.", () => ping.Status == PingPayload.PingStatus ? 1 : 0, ("node", ping.Name));
            m.Gauge("heartbeat_ping_node_last_reply_age_seconds", "Seconds since a ping node's last authenticated reply (NaN before the first).", () => ping.LastReply is { } at ? (engine.Now - at).TotalSeconds : double.NaN, ("node", ping.Name));
            m.Counter("heartbeat_ping_requests_total", "Echo requests sent to a ping node (to every host of a ping_group).", () => ping.Probes, ("node", ping.Name));
            m.Counter("heartbeat_ping_replies_total", "Authenticated echo replies from a ping node.", () => ping.Replies, ("node", ping.Name));
        }

        if (node.PingNodes is { } monitor)
        {
            m.Counter("heartbeat_ping_foreign_replies_total", "Echo replies that were not our own signed, fresh ones (another program's, forged or replayed): ignored.", () => monitor.ForeignReplies);
        }

        // STONITH: resets by result and the time they took (the start-up device check is in hbctl status).
        if (node.Fencing.Device is not null)
        {
            foreach (var result in Enum.GetValues<FenceResult>())
            {
                m.Counter("heartbeat_stonith_attempts_total", "Reset attempts (stonith -T reset) that ended, by result (ok, bad_host, bad; a timeout is bad).", () => node.Fencing.AttemptsEnded(result), ("result", PrometheusText.SnakeCase(result.ToString())));
            }

            m.Counter("heartbeat_stonith_attempt_seconds_total", "Summed duration of the ended reset attempts.", () => node.Fencing.AttemptTime.TotalSeconds);
            m.Counter("heartbeat_stonith_cancelled_total", "Resets called off because the peer was heard again before they began or while a failing one ran.", () => node.Fencing.Cancelled);
            m.Gauge("heartbeat_stonith_takeover_held", "1 while a reset is under way or due and no group may be started, else 0.", () => node.Fencing.HoldsTakeover ? 1 : 0);
        }

        // Resources, the operator, and the daemon itself.
        for (int i = 0; i < ResourceMetrics.Actions.Length; i++)
        {
            int action = i;
            m.Counter("heartbeat_script_runs_total", "Resource script runs (resource.d, init.d, OCF) by action and result.", () => r.ScriptRuns(action, ok: true), ("action", ResourceMetrics.Actions[i]), ("result", "ok"));
            m.Counter("heartbeat_script_runs_total", "", () => r.ScriptRuns(action, ok: false), ("action", ResourceMetrics.Actions[i]), ("result", "failed"));
            m.Histogram("heartbeat_script_duration_seconds", "How long resource scripts ran, by action.", r.ScriptDurations[i], ("action", ResourceMetrics.Actions[i]));
        }

        m.Counter("heartbeat_vip_restores_total", "Addresses of held groups put back after they vanished from their interface.", () => r.VipRestores);
        m.Counter("heartbeat_reloads_total", "Reloads (SIGHUP, hbctl reload) by result: applied in place, or refused.", () => reloader.Applied, ("result", "applied"));
        m.Counter("heartbeat_reloads_total", "", () => reloader.Refused, ("result", "refused"));
        m.Counter("heartbeat_loop_stalls_total", "Times the event loop found itself paused past its deadline (GC, SIGSTOP, starved CPU).", () => c.LocalStalls);
        m.Counter("heartbeat_loop_allocated_bytes_total", "Managed bytes the event loop allocated since its first turn, control requests excluded (constant at rest).", () => loop.Allocations.Allocated());
        m.Seal();
    }

    /// <summary>Publishes when the interval has passed (loop thread, every turn; allocation-free).</summary>
    public void PublishIfDue(TimeSpan now)
    {
        if (now >= _nextPublish)
        {
            _nextPublish = now + PublishInterval;
            _board.Publish();
        }
    }
}
