namespace Heartbeat.Protocol.Events;

/// <summary>
/// One entry of the event stream (<c>hbctl events</c>): something the node decided or saw, named as its journald entry
/// is (<c>HB_EVENT</c>: <c>node_dead</c>, <c>takeover</c>, …), with that entry's named values (<c>HB_PEER</c> →
/// <c>peer</c>, …). <see cref="Seq"/> numbers the stream from 1 in the order the daemon logged the entries.
/// </summary>
public sealed record NodeEvent(long Seq, DateTimeOffset Time, string Name, string Level, string Node, string Message, IReadOnlyList<KeyValuePair<string, string>> Fields);

/// <summary>
/// The stream's vocabulary: the journald <c>HB_EVENT</c> names of what the node decided and saw. Everything else the
/// daemon logs (start-up details, per-resource script output, counters) stays in the journal only.
/// </summary>
public static class EventNames
{
    /// <summary>Not an event: a follower that fell more than the ring's size behind gets one of these with the count it missed.</summary>
    public const string Gap = "gap";

    private static readonly HashSet<string> Streamed = new(StringComparer.Ordinal)
    {
        // Membership: this node, the peers and the links.
        "communication_up", "local_status", "status_update", "node_dead", "link", "node_restarted", "returned_after_partition",
        "shutdown_notice", "late_heartbeat", "late_heartbeat_beyond_deadtime", "local_stall", "node_list_mismatch",

        // Resource groups: the planner's decisions (with the cause), takeovers, results (with the cause and the duration),
        // failed starts, VIPs put back. All logged by the loop in the order decided, except vip_vanished (the VIP check);
        // the group worker's own lines (first_announcement, group_failed) stay in the journal: they would come before
        // the decision's lines, which the loop logs after handing the work over.
        "planner_action", "takeover", "group_done", "group_start_failed", "vip_vanished",

        // The operator: standby/takeover requests and reloads.
        "control_command", "reload_applied", "reload_refused",

        // Bursts of rejected or dropped packets (rate-limited as in the log), and the node's own leave.
        "packet_rejected", "input_dropped", "shutting_down", "shutdown_complete",
    };

    /// <summary>The names streamed, sorted (for the docs and their test).</summary>
    public static IReadOnlyList<string> All { get; } = [.. Streamed.Order(StringComparer.Ordinal)];

    public static bool IsStreamed(string name) => Streamed.Contains(name);
}
