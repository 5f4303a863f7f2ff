using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Resources;

/// <summary>
/// <c>auto_failback legacy</c> — 3.0.6's default when ha.cf says nothing, and the article's setup (behaviour.md §3.2):
/// no <c>starting</c>/<c>resource</c> reports. At comm up a node takes each of its own groups: at once with a
/// self-addressed <c>ip-request-resp weown=yes</c> when no other node is active yet, otherwise it asks with
/// <c>ip-request ipaddr=KEY</c>; the peer gives the group up first if it holds it and answers
/// <c>ip-request-resp dest=… ipaddr=KEY weown=yes|no ok=OK</c>, and the requester takes it. So legacy always fails
/// back. A dead or departed peer's groups are taken (mach_down), a leaving node stops all its groups before shutdone.
/// </summary>
public sealed class LegacyResourcePlanner(string local, HaResources resources, TimeProvider time) : PlannerBase(local, resources, time)
{
    private readonly HashSet<string> _departed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _answerAfterRelease = new(StringComparer.Ordinal);

    // What the status shows of the peer (legacy has no resource reports): see PeerHolds and HolderKnown.
    private readonly HashSet<string> _holderUnknown = new(StringComparer.Ordinal);
    private bool _peerActive;

    /// <summary>3.0.6 does not track holdings in legacy mode: <c>rscstatus</c> always says none.</summary>
    public override HoldSet Holding => HoldSet.None;

    public override bool InTransition => PendingKeys.Count > 0;

    /// <summary>"Alone" for legacy means no other node is active yet (3.0.6's req_resource grants itself its groups then).</summary>
    public override bool CountsAsAlive(Membership.PeerNode peer) => peer.Status == Membership.NodeStatus.Active;

    /// <summary>
    /// Legacy sends no resource reports, so the holder is read from the ip-request exchange and the protocol's rules: an
    /// active peer holds its home groups (at its comm up it grants them to itself or asks for them, and a legacy node
    /// always grants), unless we hold them; it holds none of ours once it answered our ip-request (it gives the group
    /// up first). Like nice_failback's class bookkeeping, this says what the protocol gave the peer, not what its
    /// scripts did.
    /// </summary>
    public override bool PeerHolds(string key) =>
        _peerActive && !_holderUnknown.Contains(key) && !HeldKeys.Contains(key) && !PendingKeys.Contains(key)
        && GroupByKey(key) is { } group && !IsLocal(group);

    /// <summary>
    /// False while nothing tells who holds the group: one of our home groups asked for at a comm up beside an active peer,
    /// until the peer answers (it may have taken the group over while we were away, and says so only then).
    /// </summary>
    public bool HolderKnown(string key) => !_holderUnknown.Contains(key);

    /// <summary>3.0.6's own words for hb_standby/hb_takeover with auto_failback legacy.</summary>
    public override string? StandbyUnsupported => "Standby mode only implemented when nice_failback on (auto_failback on or off)";

    public override string? RequestStandby(HoldSet set, string? apiClient = null) => StandbyUnsupported;

    public override string? RequestTakeover(string what) => StandbyUnsupported;

    public override void CommunicationUp(IReadOnlyCollection<string> deadPeers, bool anyPeerAlive)
    {
        if (State != PlannerState.Init)
        {
            return;
        }

        State = PlannerState.Stable;
        _peerActive = anyPeerAlive;
        foreach (string peer in deadPeers)
        {
            PeerDied(peer);
        }

        foreach (var group in Resources.Groups.Where(IsLocal))
        {
            if (!anyPeerAlive)
            {
                // Alone: grant it to ourselves, as req_resource does (the message is addressed to us; peers ignore it).
                Send(Grant(LocalNode, group.Key, weOwn: true));
                Acquire(group.Key, "own group, no other node active", GroupCause.Placement);
            }
            else
            {
                Send(new HaMessage([HaField.String(WireFields.Type, ResourceMessages.IpRequest), HaField.String(ResourceFields.IpAddress, group.Key)]));
                _holderUnknown.Add(group.Key);
            }
        }
    }

    public override void Received(string from, HaMessage message)
    {
        if (ReceivedHealNotice(from, message))
        {
            return;
        }

        // Any message of the peer's is from a running node (legacy's peer returns without a resource report).
        _peerActive = true;
        string? key = message.GetString(ResourceFields.IpAddress);
        switch (message.Type)
        {
            case ResourceMessages.IpRequest when key is not null && Resources.Groups.Any(g => g.Key == key):
                if (HeldKeys.Contains(key) || PendingKeys.Contains(key))
                {
                    // The home node wants its group back: give it up first, answer when it is stopped.
                    _answerAfterRelease[key] = from;
                    Release(key, $"requested by {from}", GroupCause.PeerRequest, requestedBy: from);
                }
                else
                {
                    Send(Grant(from, key, weOwn: false));
                }

                break;
            case ResourceMessages.IpRequestResponse when key is not null && message.GetString(ResourceFields.Ok) == "OK" && Resources.Groups.Any(g => g.Key == key):
                _holderUnknown.Remove(key);
                Acquire(key, $"granted by {from}", GroupCause.Placement);
                break;
        }
    }

    /// <summary>
    /// 3.0.6 (legacy): a node that finds no other node active at its comm up grants itself its groups
    /// (<c>ip-request-resp dest=&lt;itself&gt; weown=yes</c>) and takes them without asking. A real node that restarts after
    /// a healed partition can do that before it has seen us active, while we hold its group: both would hold the VIP
    /// for good (a 3.0.6 peer in our place would keep it too). We give our copy up, because the home node takes it
    /// either way and legacy always fails back to it.
    /// </summary>
    public override void Overheard(string from, HaMessage message)
    {
        if (message.Type == ResourceMessages.IpRequestResponse && message.GetString(WireFields.Dest) == from && message.GetString(ResourceFields.Ok) == "OK"
            && message.GetString(ResourceFields.IpAddress) is { } key
            && GroupByKey(key) is { } group
            && string.Equals(group.Node, from, StringComparison.OrdinalIgnoreCase)
            && (HeldKeys.Contains(key) || PendingKeys.Contains(key)))
        {
            Release(key, $"{from} granted itself its own group (no active peer at its start)", GroupCause.PeerRequest);
        }
    }

    public override void PeerDied(string peer)
    {
        CancelHeal();
        // Legacy asks for a reset unless the node said goodbye with shutdone first.
        DecideFencing(peer, needed: !_departed.Contains(peer));
        PeerGone();
        TakeOver(peer, "peer dead", GroupCause.PeerDead);
    }

    public override void PeerShutDown(string peer)
    {
        CancelHeal();
        PeerGone();
        TakeOver(peer, "peer shut down", GroupCause.PeerShutDown);
        _departed.Add(peer);
    }

    public override void PeerReturned(string peer)
    {
        CancelHeal();
        _departed.Remove(peer);
        _peerActive = true;
    }

    /// <summary>A dead or departed peer holds nothing, and what it held we take: every holder is known again.</summary>
    private void PeerGone()
    {
        _peerActive = false;
        _holderUnknown.Clear();
    }

    protected override void AfterGroupStopped(string key)
    {
        if (_answerAfterRelease.Remove(key, out string? requester))
        {
            Send(Grant(requester, key, weOwn: true));
        }
    }

    private void TakeOver(string peer, string reason, GroupCause cause)
    {
        foreach (var group in Resources.Groups.Where(g => string.Equals(g.Node, peer, StringComparison.OrdinalIgnoreCase)))
        {
            TakeOrAnnounce(group.Key, reason, cause);
        }

        foreach (var group in Resources.Groups.Where(g => IsLocal(g) && !HeldKeys.Contains(g.Key)))
        {
            Acquire(group.Key, reason, cause);
        }
    }

    private static HaMessage Grant(string to, string key, bool weOwn) => new(
    [
        HaField.String(WireFields.Type, ResourceMessages.IpRequestResponse),
        HaField.String(WireFields.Dest, to),
        HaField.String(ResourceFields.IpAddress, key),
        HaField.String(ResourceFields.WeOwn, weOwn ? "yes" : "no"),
        HaField.String(ResourceFields.Ok, "OK"),
    ]);

}
