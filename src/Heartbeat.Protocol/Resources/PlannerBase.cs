using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Wire;
using static Heartbeat.Protocol.Timing.Deadlines;

namespace Heartbeat.Protocol.Resources;

/// <summary>
/// What both negotiations share: the command queue, the held and pending groups, and the graceful leave, which is the
/// same in every mode (3.0.6 stops every group of haresources in file order, held or not, then sends shutdone).
/// </summary>
public abstract class PlannerBase(string local, HaResources resources, TimeProvider time) : IResourcePlanner
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

    /// <summary>Our own message, sent only at a partition heal: "I have re-announced my home groups; release yours of mine".</summary>
    public const string HealNoticeType = "hbnet-partition-healed";

    /// <summary>Our own message in a graceful leave between two of ours: "your addresses are up and announced here; let go".</summary>
    public const string TookOverType = "hbnet-took-over";

    /// <summary>How long a leaving node keeps its addresses waiting for a peer of ours to take them first.</summary>
    public static readonly TimeSpan MakeBeforeBreakWait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a healed node waits for the peer to settle the heal before it gives the peer's home groups back anyway:
    /// a real 3.0.6 peer that saw the partition leaves (shutdone) to restart itself, ~4 s after the heal on an idle
    /// machine but 12 s and more when its scripts are slow ("Shutdown delayed until current resource activity
    /// finishes"); one that never declared us dead keeps its groups and says nothing, so after this the duplicate is
    /// ended by us. Giving up too early would stop the address the restarting peer is about to drop as well.
    /// </summary>
    public static readonly TimeSpan HealFallback = TimeSpan.FromSeconds(30);

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

    /// <summary>A partition heal being settled: with whom, since when, what is done.</summary>
    private sealed class Heal(string peer, TimeSpan since)
    {
        public string Peer { get; } = peer;

        public TimeSpan Since { get; } = since;

        /// <summary>Our heal notice is sent (after every held home group was re-announced).</summary>
        public bool NoticeSent { get; set; }

        /// <summary>The peer settled its side (its notice came, or the fallback ran out): our copies of its groups are released.</summary>
        public bool PeerSettled { get; set; }

        /// <summary>Our copies of the peer's home groups whose stop is not reported yet.</summary>
        public HashSet<string> Releasing { get; } = new(StringComparer.Ordinal);
    }

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

    /// <summary>True while a partition heal is being settled.</summary>
    public bool Healing => _heal is not null;

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

    /// <summary>
    /// The peer we declared dead is heard again with the same generation: a partition healed. 3.0.6 restarts both
    /// nodes (≈25 s outage, behaviour.md §7). We settle it in place, make-before-break: each node keeps its home
    /// groups (where 3.0.6's restart would put them too), re-announces them with gratuitous ARP, then tells the peer,
    /// which only then releases its copies of them.
    /// </summary>
    public void PartitionHealed(string peer)
    {
        PeerReturned(peer);
        BeginHeal(peer);
    }

    /// <summary>
    /// This node did not run for longer than the deadtime (SIGSTOP, a frozen VM, starvation): its peer has declared it
    /// dead and taken its groups, so each of its addresses is up twice and clients follow the peer's takeover ARP. Our
    /// stall guard keeps us from accusing the peer, so no heal starts here: we re-announce our held home groups at once
    /// (the heal's rule: the home node keeps its group). A 3.0.6 peer then restarts and deletes its copy without an
    /// ARP, which without this left clients on its MAC until their neighbour entry went stale (6.4 s of outage
    /// measured); a peer of ours begins a heal and releases its copy only after our announcement.
    /// </summary>
    public void ResumedAfterStall()
    {
        if (State is PlannerState.Init or PlannerState.ShuttingDown)
        {
            return;
        }

        foreach (var group in HeldHomeGroups().Where(g => !_announcing.Contains(g.Key)))
        {
            _commands.Add(new AnnounceGroup(group.Key, "resumed after a stall longer than the deadtime: the peer may have taken it", GroupCause.Stall));
        }
    }

    /// <summary>A re-announcement (gratuitous ARP of a held group) has been done.</summary>
    public void GroupAnnounced(string key)
    {
        _announcing.Remove(key);
        SendHealNoticeIfReady();
    }

    public TimeSpan? NextTimerIn
    {
        get
        {
            var now = Now;
            return EarliestTimer() is { } at ? (at > now ? at - now : TimeSpan.Zero) : null;
        }
    }

    /// <summary>When the first running timer fires, on <see cref="Now"/>'s clock (one tick past a strict "more than").</summary>
    protected virtual TimeSpan? EarliestTimer()
    {
        TimeSpan? next = null;
        if (_deferredReleases.Count > 0)
        {
            next = Earlier(next, _deferredUntil);
        }

        if (_heal is { PeerSettled: false } heal)
        {
            next = Earlier(next, heal.Since + HealFallback + TimeSpan.FromTicks(1));
        }

        return next;
    }

    public virtual void Tick()
    {
        if (_deferredReleases.Count > 0 && Now >= _deferredUntil)
        {
            ReleaseDeferred($"shutdown (the peer did not take over within {MakeBeforeBreakWait.TotalSeconds:0} s)");
        }

        if (_heal is { PeerSettled: false } heal && Now - heal.Since > HealFallback)
        {
            // The peer never answered the heal: a real node that did not see the partition and kept its own groups.
            heal.PeerSettled = true;
            ReleasePeersHomeGroups(heal, "partition healed, peer kept its groups");
        }
    }

    /// <summary>Receives our own messages (heal notice, took-over); true when the message was one of ours and is handled.</summary>
    protected bool ReceivedHealNotice(string from, HaMessage message)
    {
        if (message.Type == TookOverType)
        {
            PeerIsOurs = true;
            ReleaseDeferred($"shutdown, {from} has taken over");
            return true;
        }

        if (message.Type != HealNoticeType)
        {
            return false;
        }

        PeerIsOurs = true;
        if (_heal is null || !string.Equals(_heal.Peer, from, StringComparison.Ordinal))
        {
            // The peer saw the partition and we did not (one-way loss): settle it the same way from our side.
            PeerReturned(from);
            BeginHeal(from);
        }

        if (_heal is { PeerSettled: false } heal)
        {
            heal.PeerSettled = true;
            ReleasePeersHomeGroups(heal, $"partition healed, {from} re-announced its groups");
        }

        return true;
    }

    /// <summary>
    /// Whether a leaving node keeps this held group until the peer has taken it (nice_failback, a live peer of ours, and
    /// a group of addresses only: two nodes may briefly both have an address, never both run a service).
    /// </summary>
    protected virtual bool KeepUntilTakenOver(ResourceGroupSpec group) => false;

    /// <summary>A group of native addresses only, which two nodes may both hold for a moment (make-before-break).</summary>
    protected static bool AddressesOnly(ResourceGroupSpec group) => group.Resources.All(r => r.IsIpAddress);

    /// <summary>Tells a leaving peer of ours that its addresses are up here, after they are.</summary>
    protected void SendTookOver() => Send(new HaMessage([HaField.String(WireFields.Type, TookOverType), HaField.String(ImplementationField, ImplementationVersion)]));

    private void ReleaseDeferred(string reason)
    {
        foreach (string key in _deferredReleases)
        {
            PendingKeys.Remove(key);
            Release(key, reason, GroupCause.Shutdown);
        }

        _deferredReleases.Clear();
    }

    /// <summary>The peer left, died or restarted: whatever heal was running is moot.</summary>
    protected void CancelHeal() => _heal = null;

    /// <summary>What the mode does once a heal is settled (nice_failback: a fresh full report).</summary>
    protected virtual void AfterHeal()
    {
    }

    /// <summary>What the mode does when a heal begins (nice_failback: any standby exchange is void).</summary>
    protected virtual void OnHealStarted()
    {
    }

    /// <summary>The groups whose home is this node and that it holds, not in the middle of an acquisition or release.</summary>
    private IEnumerable<ResourceGroupSpec> HeldHomeGroups() =>
        Resources.Groups.Where(g => IsLocal(g) && HeldKeys.Contains(g.Key) && !PendingKeys.Contains(g.Key));

    private void BeginHeal(string peer)
    {
        if (State is PlannerState.Init or PlannerState.ShuttingDown || _heal is not null)
        {
            return;
        }

        _heal = new Heal(peer, Now);
        OnHealStarted();
        foreach (var group in HeldHomeGroups())
        {
            _announcing.Add(group.Key);
            _commands.Add(new AnnounceGroup(group.Key, "partition healed: the home node keeps its group", GroupCause.PartitionHeal));
        }

        SendHealNoticeIfReady();
    }

    private void SendHealNoticeIfReady()
    {
        if (_heal is { NoticeSent: false } heal && _announcing.Count == 0)
        {
            heal.NoticeSent = true;
            Send(new HaMessage([HaField.String(WireFields.Type, HealNoticeType), HaField.String(ImplementationField, ImplementationVersion)]));
            FinishHealIfDone();
        }
    }

    private void ReleasePeersHomeGroups(Heal heal, string reason)
    {
        foreach (var group in Resources.Groups.Where(g => string.Equals(g.Node, heal.Peer, StringComparison.OrdinalIgnoreCase)
            && (HeldKeys.Contains(g.Key) || PendingKeys.Contains(g.Key))))
        {
            heal.Releasing.Add(group.Key);
            Release(group.Key, reason, GroupCause.PartitionHeal);
        }

        FinishHealIfDone();
    }

    private void FinishHealIfDone()
    {
        if (_heal is { NoticeSent: true, PeerSettled: true } heal && heal.Releasing.Count == 0)
        {
            _heal = null;
            AfterHeal();
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

    /// <summary>Graceful leave: every group stopped (3.0.6 stops all, held or not), then membership may send shutdone.</summary>
    public void BeginShutdown()
    {
        if (State == PlannerState.ShuttingDown)
        {
            return;
        }

        State = PlannerState.ShuttingDown;
        _heal = null;
        OnShutdown();
        foreach (var group in Resources.Groups)
        {
            if (HeldKeys.Contains(group.Key) && KeepUntilTakenOver(group))
            {
                // Make-before-break: kept (and counted as under way) until the peer says it has the address up.
                _deferredReleases.Add(group.Key);
                PendingKeys.Add(group.Key);
            }
            else
            {
                Release(group.Key, "shutdown", GroupCause.Shutdown);
            }
        }

        _deferredUntil = Now + MakeBeforeBreakWait;

        if (PendingKeys.Count == 0)
        {
            _commands.Add(new ReadyToLeave());
        }
    }

    /// <summary>What a mode announces before its groups are stopped (nice_failback: the info=shutdown report).</summary>
    protected virtual void OnShutdown()
    {
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
