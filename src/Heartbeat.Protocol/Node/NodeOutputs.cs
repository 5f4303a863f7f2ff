using Heartbeat.Protocol.Membership;

namespace Heartbeat.Protocol.Node;

/// <summary>
/// What one <see cref="ClusterNode.Pump"/> produced, in caller-owned lists reused from turn to turn (nothing is
/// allocated at rest). The pump appends; the shell handles everything and then calls <see cref="Clear"/>.
/// </summary>
public sealed class NodeOutputs
{
    /// <summary>
    /// To put on every medium, in this order. The bytes may live in the engine's buffers: send them before the node's
    /// next input (<see cref="ClusterNode.Start"/>, <see cref="ClusterNode.Receive"/>, <see cref="ClusterNode.Tick"/>).
    /// </summary>
    public List<OutgoingDatagram> Datagrams { get; } = [];

    /// <summary>What membership observed, for the log (the node has already acted on them).</summary>
    public List<MembershipEvent> Events { get; } = [];

    /// <summary>Group actions for the worker, in the order decided: hand them over before sending (a takeover starts at once).</summary>
    public List<GroupRequest> GroupRequests { get; } = [];

    /// <summary>rc.d hooks to run, in order.</summary>
    public List<HookRequest> Hooks { get; } = [];

    /// <summary>Echo requests for the ping nodes' hosts (bytes valid until the node's next input, like the datagrams).</summary>
    public List<Ping.OutgoingEcho> Echoes { get; } = [];

    /// <summary>Resets to run (<c>stonith … -T reset</c>); report each with <see cref="ClusterNode.FenceFinished"/>.</summary>
    public List<Fencing.FenceRequest> FenceRequests { get; } = [];

    /// <summary>What fencing decided or saw, for the log (HB_EVENT=stonith).</summary>
    public List<Fencing.FencingEvent> FencingEvents { get; } = [];

    /// <summary>Groups whose start failed and that stay down rather than bounce between the nodes, for the log.</summary>
    public List<Resources.GroupLeftDown> GroupsLeftDown { get; } = [];

    /// <summary>Real peers asked to give up the copies they kept over a heal, for the log.</summary>
    public List<Resources.PeerAskedToYield> PeersAskedToYield { get; } = [];

    /// <summary>Whether anything was produced at all.</summary>
    public bool IsEmpty => Datagrams.Count == 0 && Events.Count == 0 && GroupRequests.Count == 0 && Hooks.Count == 0 && FenceRequests.Count == 0 && FencingEvents.Count == 0 && Echoes.Count == 0
        && GroupsLeftDown.Count == 0 && PeersAskedToYield.Count == 0;

    public void Clear()
    {
        Datagrams.Clear();
        Events.Clear();
        GroupRequests.Clear();
        Hooks.Clear();
        Echoes.Clear();
        FenceRequests.Clear();
        FencingEvents.Clear();
        GroupsLeftDown.Clear();
        PeersAskedToYield.Clear();
    }
}
