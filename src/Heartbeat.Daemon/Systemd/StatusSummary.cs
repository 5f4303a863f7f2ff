using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Resources;

namespace Heartbeat.Daemon.Systemd;

/// <summary>The text of systemd's one-line STATUS=: peers and what this node holds. Built on the loop thread.</summary>
internal static class StatusSummary
{
    public static string Build(MembershipEngine engine, IResourcePlanner? planner, int groupCount)
    {
        var peers = string.Join(", ", engine.Peers.Select(p => $"{p.Name} {p.Status}"));
        string holding = planner is null ? "no resource placement" : $"holding {planner.Held.Count} of {groupCount} groups ({ResourcePlanner.Name(planner.Holding)}){(planner.InTransition ? ", in transition" : string.Empty)}";
        return $"{engine.LocalStatus}; peers: {(peers.Length == 0 ? "none" : peers)}; {holding}";
    }
}
