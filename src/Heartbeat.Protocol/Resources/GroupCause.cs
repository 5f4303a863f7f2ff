namespace Heartbeat.Protocol.Resources;

/// <summary>
/// Why a planner starts, stops or re-announces a group: typed, so nothing downstream parses the human reason text
/// (the takeover log and counter used to test the reason for "peer dead" and "peer shut down").
/// </summary>
public enum GroupCause
{
    /// <summary>Start-up placement of this node's own groups (req_our_resources, a lone node, a legacy grant).</summary>
    Placement,

    /// <summary>Membership declared the peer dead: its groups are taken (mach_down), a takeover.</summary>
    PeerDead,

    /// <summary>The peer left gracefully (its <c>shutdone</c>): its groups are taken at once, a takeover.</summary>
    PeerShutDown,

    /// <summary>A leaving peer of ours keeps its addresses until we have them (make-before-break).</summary>
    PeerLeaving,

    /// <summary>A standby exchange: hb_standby, hb_takeover, auto_failback's hand-back, a failed start handed over.</summary>
    Standby,

    /// <summary>The peer asked for its group (legacy <c>ip-request</c>) or granted itself its own group.</summary>
    PeerRequest,

    /// <summary>A healed partition being settled in place.</summary>
    PartitionHeal,

    /// <summary>This node resumed after a stall longer than the deadtime.</summary>
    Stall,

    /// <summary>A copy left up by an earlier run of this node, which the peer now holds.</summary>
    Leftover,

    /// <summary>This node's own graceful leave.</summary>
    Shutdown,
}
