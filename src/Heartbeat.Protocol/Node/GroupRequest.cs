using Heartbeat.Protocol.Resources;

namespace Heartbeat.Protocol.Node;

/// <summary>What the shell's group worker does with a group.</summary>
public enum GroupAction
{
    /// <summary>Start it (ResourceManager takegroup); report with <see cref="ClusterNode.GroupFinished"/>.</summary>
    Acquire,

    /// <summary>Stop it (givegroup); report with <see cref="ClusterNode.GroupFinished"/>.</summary>
    Release,

    /// <summary>Announce a held group again (gratuitous ARP for its addresses); report with <see cref="ClusterNode.GroupFinished"/>.</summary>
    Announce,
}

/// <summary>
/// A group action the node decided, for the shell's group worker, in the order decided (3.0.6 acquires and releases
/// groups in haresources order). Every request is answered with <see cref="ClusterNode.GroupFinished"/>, success or not.
/// </summary>
/// <param name="Key">The group (the first resource of its haresources line).</param>
/// <param name="Action">Start, stop or re-announce.</param>
/// <param name="Cause">Why, typed: the takeover log and counter go by this, never by <paramref name="Reason"/>.</param>
/// <param name="Reason">Why, in words, for the log and the group's status line.</param>
/// <param name="RequestedBy">The peer whose request (legacy ip-request) a release answers: rc.d/local_giveip runs first.</param>
public readonly record struct GroupRequest(string Key, GroupAction Action, GroupCause Cause, string Reason, string? RequestedBy = null)
{
    /// <summary>
    /// A group taken from a dead or departed peer (or our own group taken beside them, as mach_down does): one event
    /// to find every failover by (journalctl HB_EVENT=takeover), and the takeover counter.
    /// </summary>
    public bool IsTakeover => Action == GroupAction.Acquire && Cause is GroupCause.PeerDead or GroupCause.PeerShutDown;
}
