using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Resources;

/// <summary>
/// The partition heal, settled in place (make-before-break): each node keeps its home groups, re-announces them, tells
/// the peer with our heal notice, and only then does the peer release its copies; and the re-announcement after a
/// stall longer than the deadtime.
/// </summary>
public abstract partial class PlannerBase
{
    /// <summary>Our own message, sent only at a partition heal: "I have re-announced my home groups; release yours of mine".</summary>
    public const string HealNoticeType = "hbnet-partition-healed";

    /// <summary>
    /// How long a healed node waits for the peer to settle the heal before it gives the peer's home groups back anyway:
    /// a real 3.0.6 peer that saw the partition leaves (shutdone) to restart itself, ~4 s after the heal on an idle
    /// machine but 12 s and more when its scripts are slow ("Shutdown delayed until current resource activity
    /// finishes"); one that never declared us dead keeps its groups and says nothing, so after this the duplicate is
    /// ended by us. Giving up too early would stop the address the restarting peer is about to drop as well.
    /// </summary>
    public static readonly TimeSpan HealFallback = TimeSpan.FromSeconds(30);

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

    /// <summary>True while a partition heal is being settled.</summary>
    public bool Healing => _heal is not null;

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

    /// <summary>The heal's timer: when the fallback runs out, unless the peer has settled.</summary>
    private TimeSpan? HealTimer() => _heal is { PeerSettled: false } heal ? heal.Since + HealFallback + TimeSpan.FromTicks(1) : null;

    private void TickHeal()
    {
        if (_heal is { PeerSettled: false } heal && Now - heal.Since > HealFallback)
        {
            // The peer never answered the heal: a real node that did not see the partition and kept its copies.
            heal.PeerSettled = true;
            foreach (string key in CopiesToYieldAtFallback(heal.Peer).ToList())
            {
                heal.Releasing.Add(key);
                Release(key, "partition healed, peer kept its copy", GroupCause.PartitionHeal);
            }

            FinishHealIfDone();
        }
    }

    /// <summary>
    /// The groups we give up when the heal's fallback runs out: by default our copies of the peer's home groups (a peer
    /// of ours always settles with its notice; this is for one that did not). A mode that knows what a real peer still
    /// claims says so instead (nice_failback).
    /// </summary>
    protected virtual IEnumerable<string> CopiesToYieldAtFallback(string peer) => CopiesOfPeersHomeGroups(peer);

    /// <summary>Our copies (held or under way) of the groups whose home is <paramref name="peer"/>.</summary>
    private IEnumerable<string> CopiesOfPeersHomeGroups(string peer) =>
        Resources.Groups.Where(g => string.Equals(g.Node, peer, StringComparison.OrdinalIgnoreCase) && (HeldKeys.Contains(g.Key) || PendingKeys.Contains(g.Key)))
            .Select(g => g.Key);

    /// <summary>
    /// The peer gave up its copies through the standby exchange, or claims none of what we hold: nothing of ours is to
    /// be released, the heal is settled.
    /// </summary>
    protected void PeerSettledWithoutRelease()
    {
        if (_heal is { PeerSettled: false } heal)
        {
            heal.PeerSettled = true;
            FinishHealIfDone();
        }
    }

    /// <summary>The peer of a heal whose re-announcement and notice are done and which the peer has not settled yet, or null.</summary>
    protected string? HealAwaitingPeer => _heal is { NoticeSent: true, PeerSettled: false } heal ? heal.Peer : null;

    /// <summary>
    /// What the mode does once every held home group is re-announced and our notice is sent (nice_failback: a real
    /// 3.0.6 peer, which ignores the notice, is asked for the copies it still claims).
    /// </summary>
    protected virtual void AfterReannounced(string peer)
    {
    }

    /// <summary>The peer's heal notice: it has re-announced its home groups, so our copies of them go.</summary>
    private void HealNoticeReceived(string from)
    {
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
            AfterReannounced(heal.Peer);
            FinishHealIfDone();
        }
    }

    private void ReleasePeersHomeGroups(Heal heal, string reason)
    {
        foreach (string key in CopiesOfPeersHomeGroups(heal.Peer).ToList())
        {
            heal.Releasing.Add(key);
            Release(key, reason, GroupCause.PartitionHeal);
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
}
