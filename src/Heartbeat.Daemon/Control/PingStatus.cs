using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Control;
using Heartbeat.Protocol.Node;
using Heartbeat.Protocol.Resources;

namespace Heartbeat.Daemon.Control;

/// <summary>The ping nodes and the built-in ipfail in the status report (loop thread only).</summary>
internal static class PingStatus
{
    public static IReadOnlyList<PingNodeReport>? PingNodes(ClusterNode node)
    {
        if (node.PingNodes is not { } monitor)
        {
            return null;
        }

        return [.. monitor.Nodes.Select(p => new PingNodeReport(
            p.Name,
            PingNodeEntry.PluginName(p.Entry.Kind),
            p.Entry.Hosts,
            p.Status,
            p.LinkUp,
            p.LastReply is { } at ? (long)(node.Now - at).TotalMilliseconds : null,
            p.Probes,
            p.Replies))];
    }

    public static IpfailReport? Ipfail(ClusterNode node)
    {
        if (node.Ipfail is not { } ipfail)
        {
            return null;
        }

        var pending = ipfail.PendingGiveup;
        return new IpfailReport(
            node.PingNodesAlive,
            ipfail.PeerCount,
            ipfail.LastSent,
            pending is { } p ? ResourcePlanner.Name(p.Set) : null,
            pending is { } q ? (long)Math.Max(0, (q.At - node.Now).TotalMilliseconds) : null,
            ipfail.NeedStandby || ipfail.RecheckAt is not null,
            ipfail.AutoFailback,
            node.PingNodes?.ForeignReplies ?? 0);
    }

    /// <summary>3.0.6's node table: node and ping lines in ha.cf's order (cl_status walks it), or null without ping nodes.</summary>
    public static IReadOnlyList<string>? NodeTable(HaCf haCf) =>
        haCf.PingNodes.IsEmpty
            ? null
            : [.. haCf.Nodes.Select(n => (n.Name, n.Line)).Concat(haCf.PingNodes.Select(p => (p.Name, p.Line))).OrderBy(n => n.Line).Select(n => n.Name).Distinct(StringComparer.Ordinal)];
}
