using Heartbeat.Protocol.Node;
using Heartbeat.Protocol.Resources;

namespace Heartbeat.Daemon.Systemd;

/// <summary>The text of systemd's one-line STATUS=: peers and what this node holds. Built on the loop thread.</summary>
internal static class StatusSummary
{
    public static string Build(ClusterNode node, int groupCount)
    {
        var peers = string.Join(", ", node.Membership.Peers.Select(p => $"{p.Name} {p.Status}"));
        string holding = !node.NegotiatesResources ? "no resource placement" : $"holding {node.Held.Count} of {groupCount} groups ({ResourcePlanner.Name(node.Holding)}){(node.InTransition ? ", in transition" : string.Empty)}";
        return $"{node.Membership.LocalStatus}; peers: {(peers.Length == 0 ? "none" : peers)}; {holding}";
    }
}
