using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Resources;

namespace Heartbeat.Protocol.Node;

/// <summary>What a status (hbctl, cl_status, systemd's STATUS=) reads of the node's placement: read-only.</summary>
public sealed partial class ClusterNode
{
    /// <summary>The negotiation's state as 3.0.6 numbers it; null without a negotiation.</summary>
    public PlannerState? PlacementState => _planner?.State;

    /// <summary>The groups this node holds (started and reported back).</summary>
    public IReadOnlyCollection<string> Held => _planner?.Held ?? [];

    /// <summary>The class of groups held, as <c>cl_status rscstatus</c> reports it.</summary>
    public HoldSet Holding => _planner?.Holding ?? HoldSet.None;

    /// <summary>True while anything is unstable: <c>cl_status rscstatus</c> prints "transition".</summary>
    public bool InTransition => _planner?.InTransition ?? false;

    /// <summary>Whether the peer marked its messages as ours.</summary>
    public bool PeerIsOurs => _planner?.PeerIsOurs ?? false;

    /// <summary>Groups taken over from a dead or departed peer since start (<see cref="GroupRequest.IsTakeover"/>).</summary>
    public long Takeovers { get; private set; }

    /// <summary>Group requests by action and cause since start (the metrics' transitions), counted as they are issued.</summary>
    public long Transitions(GroupAction action, GroupCause cause) => _transitions[((int)action * CauseCount) + (int)cause];

    private static readonly int CauseCount = Enum.GetValues<GroupCause>().Length;

    private readonly long[] _transitions = new long[Enum.GetValues<GroupAction>().Length * Enum.GetValues<GroupCause>().Length];

    /// <summary>Group requests handed out and not yet reported back with <see cref="GroupFinished"/>.</summary>
    public int GroupRequestsOutstanding => _groupRequestsOutstanding;

    /// <summary>
    /// The start-up is over once communication is up and the planner has settled its first placement (or there is no
    /// planner) with nothing in flight: no transition, no group request unanswered.
    /// </summary>
    public bool StartupOver =>
        _engine.LocalStatus == NodeStatus.Active && _groupRequestsOutstanding == 0 &&
        (_planner is null || (_planner.State == PlannerState.Stable && !_planner.InTransition));

    /// <summary>
    /// Who holds a group: this node when it holds it, the peer when the peer's last report covers it (class
    /// bookkeeping, as 3.0.6's; in legacy mode, what the ip-request exchange gave it), else nobody (null; see
    /// <see cref="HolderKnown"/> for whether that is known).
    /// </summary>
    public string? HolderOf(string key)
    {
        if (_planner is null)
        {
            return null;
        }

        if (_planner.Held.Contains(key))
        {
            return LocalName;
        }

        return _planner.PeerHolds(key) ? _peer : null;
    }

    /// <summary>
    /// False when this node cannot tell who holds a group (<see cref="HolderOf"/> is then null for lack of knowledge,
    /// not because nobody holds it): only in legacy mode, which has no resource reports, for one of our home groups
    /// between our ip-request at comm up and the peer's answer.
    /// </summary>
    public bool HolderKnown(string key) => _planner is not LegacyResourcePlanner legacy || legacy.HolderKnown(key);

    /// <summary>The group of a key, from haresources, or null.</summary>
    public Config.ResourceGroupSpec? GroupOf(string key)
    {
        foreach (var group in _resources.Groups)
        {
            if (group.Key == key)
            {
                return group;
            }
        }

        return null;
    }
}
