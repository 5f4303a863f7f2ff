using Heartbeat.Daemon.Config;
using Heartbeat.Daemon.Logging;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Control;
using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Node;
using Heartbeat.Protocol.Resources;

namespace Heartbeat.Daemon.Control;

/// <summary>
/// The status snapshot <c>hbctl status</c> shows (and <c>--json</c> prints): membership, groups, counters and the
/// running configuration. Built on the loop thread only, where the node may be read.
/// </summary>
internal sealed class StatusBuilder(DaemonSettings settings, ClusterConfig config, ConfigReloader reloader, GroupStates groupStates, LoopCounters counters, Respawn.RespawnRunner respawn, Fencing.FenceRunner fences)
{
    public StatusReport Build(ClusterNode node)
    {
        var engine = node.Membership;
        var peers = engine.Peers.Select(p => new PeerReport(
            p.Name,
            p.Status,
            p.Generation,
            p.LastStatusAt is { } at ? (long)(engine.Now - at).TotalMilliseconds : null,
            node.PeerIsOurs,
            [.. p.Links.Values.Select(l => new LinkReport(l.Interface, l.Up, l.Up || l.LastHeard > TimeSpan.Zero ? (long)(engine.Now - l.LastHeard).TotalMilliseconds : null))])).ToList();
        var held = node.Held;
        var groups = config.Resources.Groups.Select(g =>
        {
            bool isHeld = held.Contains(g.Key);
            var (state, reason, at) = groupStates.TryGet(g.Key, out var s) ? s : (isHeld ? "held" : "stopped", (string?)null, (DateTimeOffset?)null);
            return new GroupReport(g.Key, g.Node, isHeld, state, reason, at, groupStates.FailureOf(g.Key), node.HolderOf(g.Key), node.HolderKnown(g.Key));
        }).ToList();
        return new StatusReport(
            settings.NodeName,
            engine.LocalStatus,
            engine.Local.Generation,
            config.HaCf.AutoFailback.ToString().ToLowerInvariant(),
            node.PlacementState?.ToString() ?? "none",
            ResourcePlanner.Name(node.Holding),
            node.InTransition,
            peers,
            groups,
            engine.Local.Uuid.ToString(),
            typeof(StatusBuilder).Assembly.GetName().Version?.ToString(3) ?? "0",
            [.. config.HaCf.Nodes.Select(n => n.Name).Distinct(StringComparer.Ordinal)],
            [.. config.HaCf.Media.Select(m => m.Interface).Distinct(StringComparer.Ordinal)],
            Counters(node),
            ConfigSummary(engine),
            config.HaCf.Respawns.IsEmpty ? null : respawn.Report(),
            PingStatus.PingNodes(node),
            PingStatus.Ipfail(node),
            PingStatus.NodeTable(config.HaCf),
            Fencing.FencingStatus.Report(node.Fencing, fences));
    }

    private ConfigReport ConfigSummary(MembershipEngine engine)
    {
        var options = engine.Options;

        // The keys of the running configuration (a reload may have changed them); everything else shown here cannot
        // change in place, so it is the start-up's.
        var key = reloader.Running.Config.AuthKeys;
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

    private CountersReport Counters(ClusterNode node)
    {
        var c = node.Membership.Counters;
        return new CountersReport(
            c.Received,
            c.Sent,
            c.Duplicates,
            counters.SendErrors,
            c.RejectedByReason.OrderBy(p => p.Key).ToDictionary(p => p.Key.ToString(), p => p.Value, StringComparer.Ordinal),
            c.RetransmitRequestsSent,
            c.RetransmissionsServed,
            c.LateHeartbeats,
            c.WorstLateMilliseconds,
            node.Takeovers,
            [.. (counters.Media?.Senders ?? []).Select(m => new MediumCounters(m.Medium.Describe(), m.Sent, m.SendErrors))],
            [.. (counters.Media?.Receivers ?? []).Select(r => new SocketCounters(r.Description, r.Received))],
            counters.InputDropped,
            counters.Allocations.AtLastAnswer);
    }
}
