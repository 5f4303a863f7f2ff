using Heartbeat.Protocol.Resources;

namespace Heartbeat.Protocol.Node;

/// <summary>The standby and takeover requests of hb_standby and hb_takeover (<c>hbctl standby/takeover</c>).</summary>
public sealed partial class ClusterNode
{
    /// <summary>
    /// hb_standby <paramref name="argument"/> (all, local, foreign, failback; null: all): give those groups to the peer.
    /// </summary>
    public RequestOutcome RequestStandby(string? argument) => RequestMove(argument, takeover: false);

    /// <summary>hb_takeover <paramref name="argument"/>: ask the peer to go standby so that this node takes them.</summary>
    public RequestOutcome RequestTakeover(string? argument) => RequestMove(argument, takeover: true);

    /// <summary>
    /// A standby or takeover request; <paramref name="apiClient"/> names the heartbeat API client that asks (the
    /// built-in ipfail's giveup), which a standby request then carries as 3.0.6's API stamps it.
    /// </summary>
    private RequestOutcome RequestMove(string? argument, bool takeover, string? apiClient = null)
    {
        argument ??= "all";
        if (argument is not ("all" or "local" or "foreign" or "failback"))
        {
            return RequestOutcome.Refuse($"'{argument}' is not one of all, local, foreign, failback");
        }

        if (_planner is null)
        {
            return RequestOutcome.Refuse("no resource negotiation: v1 resources need a two-node cluster");
        }

        if (_planner.StandbyUnsupported is { } unsupported)
        {
            return RequestOutcome.Refuse(unsupported);
        }

        if (!_engine.Peers.Any(p => !p.IsDead))
        {
            return RequestOutcome.Refuse("no live peer to hand groups to or take them from");
        }

        if (takeover)
        {
            return _planner.RequestTakeover(argument) is { } why
                ? RequestOutcome.Refuse(why)
                : RequestOutcome.Accept($"asked the peer to go standby so that this node takes {argument}");
        }

        // hb_standby failback = foreign (the groups whose home is the peer).
        var set = argument switch { "local" => HoldSet.Local, "foreign" or "failback" => HoldSet.Foreign, _ => HoldSet.All };
        string? refused = _planner.RequestStandby(set, apiClient);
        if (refused is not null)
        {
            return RequestOutcome.Refuse($"standby refused: {refused}");
        }

        return RequestOutcome.Accept($"going standby: giving {ResourcePlanner.Name(set)} groups to the peer");
    }
}
