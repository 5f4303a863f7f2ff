using Heartbeat.Protocol.Membership;

namespace Heartbeat.Protocol.Ipfail;

/// <summary>What ipfail noticed or decided; each is one of 3.0.6 ipfail's log lines (the daemon words them so).</summary>
public enum IpfailNote
{
    /// <summary>"auto_failback set to incompatible legacy option." (ipfail exits; here it stays off).</summary>
    LegacyAutoFailback,

    /// <summary>"No managed resources" (no haresources negotiation: ipfail exits; here it stays off).</summary>
    NoManagedResources,

    /// <summary>"Got join message from another ipfail client. (NODE)".</summary>
    PeerJoined,

    /// <summary>"A ping node just came up.".</summary>
    PingNodeCameUp,

    /// <summary>"NS: We are still alive!" (a node died and we still see ping nodes).</summary>
    StillAlive,

    /// <summary>"NS: We are dead. :&lt;" / "We are dead. :&lt;" (we see no ping node).</summary>
    WeAreDead,

    /// <summary>"Checking remote count of ping nodes." (a link died).</summary>
    CheckingRemoteCount,

    /// <summary>"Asking other side for ping node count." (<see cref="IpfailEvent.Ours"/> sent).</summary>
    Asking,

    /// <summary>"Telling other node that we have more visible ping nodes.".</summary>
    TellingMore,

    /// <summary>"Giving up because we have less visible ping nodes.".</summary>
    FewerThanPeer,

    /// <summary>"Giving up because we were told that we have less ping nodes.".</summary>
    ToldWeAreDead,

    /// <summary>"Ping node count is balanced.".</summary>
    Balanced,

    /// <summary>"Giving up foreign resources (auto_failback).".</summary>
    GivingUpForeign,

    /// <summary>"Delayed giveup in N seconds.".</summary>
    DelayedGiveup,

    /// <summary>"Aborted delayed giveup".</summary>
    AbortedGiveup,

    /// <summary>"No giveup timer to abort.".</summary>
    NoGiveupToAbort,

    /// <summary>"giveup() called (timeout worked)": the standby request goes out (or waits for stability).</summary>
    GiveupCalled,

    /// <summary>The giveup found this node in transition: it waits for the other side's stable report, then asks again.</summary>
    GiveupWaitsForStability,

    /// <summary>The standby request was refused by the planner (<see cref="IpfailEvent.Detail"/> says why).</summary>
    GiveupRefused,
}

/// <summary>One ipfail note with its numbers: our count, the other node's, a delay in seconds, a node or a reason.</summary>
public sealed record IpfailEvent(IpfailNote Note, int Ours = 0, int Theirs = 0, int Seconds = 0, string? Detail = null) : MembershipEvent;
