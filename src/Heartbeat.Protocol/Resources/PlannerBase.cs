using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Wire;
using static Heartbeat.Protocol.Timing.Deadlines;

namespace Heartbeat.Protocol.Resources;

/// <summary>
/// What both negotiations share: the command queue, the held and pending groups, the partition heal and the graceful
/// leave, which are the same in every mode.
/// </summary>
/// <remarks>
/// In parts by concern: this file holds the shared state, the commands and the group bookkeeping;
/// <c>PlannerBase.Heal.cs</c> the partition heal settled in place (and the re-announcement after a stall);
/// <c>PlannerBase.Leave.cs</c> the graceful leave and its make-before-break between two of ours.
/// </remarks>
public abstract partial class PlannerBase(string local, HaResources resources, TimeProvider time) : IResourcePlanner
{
    /// <summary>
    /// Our marker field: 3.0.6 ignores fields it does not know (its rc.d hooks would see HA_hbnet), so our nodes can
    /// recognise each other and use the faster paths that a real peer would not follow.
    /// </summary>
    public const string ImplementationField = "hbnet";

    /// <summary>The marker's value: the version of our extensions.</summary>
    public const string ImplementationVersion = "1";

    /// <summary>
    /// Our field on a full <c>resource</c> report: the groups the sender actually holds (started, not under way), by
    /// key, separated by spaces. 3.0.6's report names only classes, which a node claims even when a start failed; this
    /// says which groups are up, so a peer of ours knows when a group it handed over after a failed start has run there.
    /// </summary>
    public const string HeldGroupsField = "hbnet_held";

    // ---- The state both negotiations share (the mode's own is in its planner) ------------------------------------

    /// <summary>What the daemon is still to carry out, in order (see <see cref="Drain(List{PlannerCommand})"/>).</summary>
    private readonly List<PlannerCommand> _commands = [];

    /// <summary>The clock's start: <see cref="Now"/> counts from here.</summary>
    private readonly long _origin = time.GetTimestamp();

    /// <summary>The groups this node holds (a start reported done, no stop since).</summary>
    protected HashSet<string> HeldKeys { get; } = new(StringComparer.Ordinal);

    /// <summary>Groups with a start or stop issued and not yet reported back.</summary>
    protected HashSet<string> PendingKeys { get; } = new(StringComparer.Ordinal);

    /// <summary>Home groups still up from an earlier run: not held (nothing is reported for them) until acquired again.</summary>
    protected HashSet<string> Leftovers { get; } = new(StringComparer.Ordinal);

    /// <summary>Held groups whose re-announcement (gratuitous ARP) is issued and not yet reported done.</summary>
    private readonly HashSet<string> _announcing = new(StringComparer.Ordinal);

    /// <summary>The partition heal being settled, or null.</summary>
    private Heal? _heal;

    /// <summary>Groups a leaving node keeps until a peer of ours has taken them (make-before-break), and until when.</summary>
    private readonly List<string> _deferredReleases = [];

    /// <summary>When the leave stops <see cref="_deferredReleases"/> anyway (<see cref="MakeBeforeBreakWait"/> after it began).</summary>
    private TimeSpan _deferredUntil;

    /// <summary>3.0.6's resourcestate (legacy mode, which has none, goes from Init to Stable and ShuttingDown).</summary>
    public PlannerState State { get; protected set; } = PlannerState.Init;

    /// <summary>Whether the peer marked its messages as ours (see <see cref="ImplementationField"/>).</summary>
    public bool PeerIsOurs { get; protected set; }

    // ---- End of the state ----------------------------------------------------------------------------------------

    public IReadOnlyCollection<string> Held => HeldKeys;

    public abstract HoldSet Holding { get; }

    public abstract bool InTransition { get; }

    protected string LocalNode { get; } = local;

    protected HaResources Resources { get; } = resources;

    protected TimeProvider Time { get; } = time;

    protected TimeSpan Now => Time.GetElapsedTime(_origin);

    /// <inheritdoc/>
    public virtual bool PeerHolds(string key) => false;

    /// <inheritdoc/>
    public abstract bool CountsAsAlive(Membership.PeerNode peer);

    /// <inheritdoc/>
    public virtual string? StandbyUnsupported => null;

    /// <inheritdoc/>
    public abstract string? RequestStandby(HoldSet set, string? apiClient = null);

    /// <inheritdoc/>
    public abstract string? RequestTakeover(string what);

    public void Drain(List<PlannerCommand> destination)
    {
        destination.AddRange(_commands);
        _commands.Clear();
    }

    /// <summary>The commands as a copy the caller may keep: for tests and tools (the daemon drains into its own list).</summary>
    public IReadOnlyList<PlannerCommand> Drain()
    {
        var result = _commands.ToArray();
        _commands.Clear();
        return result;
    }

    public abstract void CommunicationUp(IReadOnlyCollection<string> deadPeers, bool anyPeerAlive);

    public void AdoptLeftovers(IEnumerable<string> keys) => Leftovers.UnionWith(keys.Where(k => Resources.Groups.Any(g => g.Key == k && IsLocal(g))));

    /// <summary>The peer holds our home groups: our leftover copies go.</summary>
    protected void ReleaseLeftovers(string reason, GroupCause cause)
    {
        foreach (string key in Leftovers.Where(k => !HeldKeys.Contains(k) && !PendingKeys.Contains(k)).ToList())
        {
            Release(key, reason, cause);
        }

        Leftovers.Clear();
    }

    public abstract void Received(string from, HaMessage message);

    /// <summary>A message the peer addressed to someone else (or to itself); ignored unless a planner needs it.</summary>
    public virtual void Overheard(string from, HaMessage message)
    {
    }

    public abstract void PeerDied(string peer);

    /// <summary>The peer left gracefully (its <c>shutdone</c>): it holds nothing now.</summary>
    public abstract void PeerShutDown(string peer);

    public abstract void PeerReturned(string peer);

    public TimeSpan? NextTimerIn
    {
        get
        {
            var now = Now;
            return EarliestTimer() is { } at ? (at > now ? at - now : TimeSpan.Zero) : null;
        }
    }

    /// <summary>When the first running timer fires, on <see cref="Now"/>'s clock (one tick past a strict "more than").</summary>
    protected virtual TimeSpan? EarliestTimer() => HealTimer() is { } heal ? Earlier(LeaveTimer(), heal) : LeaveTimer();

    public virtual void Tick()
    {
        TickLeave();
        TickHeal();
    }

    /// <summary>Receives our own messages (heal notice, took-over); true when the message was one of ours and is handled.</summary>
    protected bool ReceivedHealNotice(string from, HaMessage message)
    {
        switch (message.Type)
        {
            case TookOverType:
                PeerIsOurs = true;
                PeerTookOver(from);
                return true;
            case HealNoticeType:
                PeerIsOurs = true;
                HealNoticeReceived(from);
                return true;
            default:
                return false;
        }
    }

    public void GroupStarted(string key, bool success)
    {
        PendingKeys.Remove(key);
        if (success)
        {
            HeldKeys.Add(key);
        }

        AfterGroupStarted(key, success);
    }

    /// <summary>
    /// A takeover start held back for a reset that was called off (the dead peer is heard again): it never ran, so the
    /// group is neither held nor failed here.
    /// </summary>
    public void StartWithdrawn(string key)
    {
        PendingKeys.Remove(key);
        AfterStartWithdrawn(key);
    }

    /// <summary>What the mode does when a takeover start is withdrawn (nice_failback: the foreign class is not claimed).</summary>
    protected virtual void AfterStartWithdrawn(string key)
    {
    }

    public void GroupStopped(string key)
    {
        PendingKeys.Remove(key);
        HeldKeys.Remove(key);
        if (_heal is not null && _heal.Releasing.Remove(key))
        {
            FinishHealIfDone();
        }

        AfterGroupStopped(key);
        if (State == PlannerState.ShuttingDown && PendingKeys.Count == 0)
        {
            _commands.Add(new ReadyToLeave());
        }
    }

    protected virtual void AfterGroupStarted(string key, bool success)
    {
    }

    protected virtual void AfterGroupStopped(string key)
    {
    }

    /// <summary>Starts a group unless it is held or under way; never while leaving (that VIP would outlive us).</summary>
    protected void Acquire(string key, string reason, GroupCause cause)
    {
        if (State != PlannerState.ShuttingDown && !HeldKeys.Contains(key) && PendingKeys.Add(key))
        {
            Leftovers.Remove(key);
            _commands.Add(new AcquireGroup(key, reason, cause));
        }
    }

    /// <summary>
    /// Takes a departed peer's group, or, when we hold it already (we took it during a partition, so the peer had a
    /// copy), announces it again: the peer's leave deleted its copy, and clients that followed its last ARP must learn
    /// where the address is now.
    /// </summary>
    protected void TakeOrAnnounce(string key, string reason, GroupCause cause)
    {
        if (HeldKeys.Contains(key) && !PendingKeys.Contains(key) && State != PlannerState.ShuttingDown)
        {
            _commands.Add(new AnnounceGroup(key, reason + ", held already", cause));
        }
        else
        {
            Acquire(key, reason, cause);
        }
    }

    protected void Release(string key, string reason, GroupCause cause, string? requestedBy = null)
    {
        PendingKeys.Add(key);
        _commands.Add(new ReleaseGroup(key, reason, cause, requestedBy));
    }

    protected void Send(HaMessage body) => _commands.Add(new SendClusterMessage(body));

    /// <summary>Says (for the log) that a failed group stays down here, and why.</summary>
    protected void LeaveDown(string key, string reason) => _commands.Add(new GroupLeftDown(key, reason));

    /// <summary>Says (for the log) that a real peer was asked to give up the copies it kept over a heal.</summary>
    protected void AskedPeerToYield(string peer, string set, int attempt) => _commands.Add(new PeerAskedToYield(peer, set, attempt));

    /// <summary>
    /// A dead peer needs a reset before its groups are taken, or not (it had let go of everything): the node's fencing
    /// decides what follows (the reset, or the <c>t=stonith</c> notice 3.0.6 sends). Called before the takeover's
    /// acquisitions, so they come after the decision; it carries what the peer held as far as the protocol knew.
    /// </summary>
    protected void DecideFencing(string peer, bool needed) =>
        _commands.Add(new FenceDecision(peer, needed, Resources.Groups.Count(g => PeerHolds(g.Key))));

    /// <summary>
    /// The haresources group of a key, or null. A loop, not LINQ: the status and the metrics ask through
    /// <see cref="PeerHolds"/> on the loop thread, which allocates nothing at rest.
    /// </summary>
    protected ResourceGroupSpec? GroupByKey(string key)
    {
        foreach (var group in Resources.Groups)
        {
            if (group.Key == key)
            {
                return group;
            }
        }

        return null;
    }

    protected bool IsLocal(ResourceGroupSpec group) => string.Equals(group.Node, LocalNode, StringComparison.OrdinalIgnoreCase);
}
