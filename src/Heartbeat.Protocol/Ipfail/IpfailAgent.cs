using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Resources;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Ipfail;

/// <summary>
/// 3.0.6's ipfail (contrib/ipfail/ipfail.c) as a pure state machine inside the node: the side that sees fewer ping
/// nodes than its peer gives up its resource groups, with the same standby request hb_standby makes.
/// <list type="bullet">
/// <item>Whenever a ping node comes up, any link dies, or the other ipfail joins, it sends its count
/// (<c>num_ping_nodes</c>) to the other node.</item>
/// <item>The receiver compares: more → <c>you_are_dead</c> back; fewer → a delayed giveup of all groups; equal →
/// <c>abort_giveup</c> back, and its own pending giveup is cancelled or, with auto_failback on and nothing in
/// transition, a delayed giveup of the foreign groups (so they go home once both sides see the same).</item>
/// <item>The giveup waits twice the keepalive (delay_giveup's default), then asks for standby if nothing is in
/// transition; otherwise it waits for the other side's stable resource report and asks for counts again 10 s later
/// (3.0.6 sleeps those 10 s inside ipfail; here a timer).</item>
/// </list>
/// The shell (<see cref="Node.ClusterNode"/>) feeds it and carries out <see cref="DrainMessages"/> (sequenced sends)
/// and <see cref="TakeGiveup"/> (a standby request).
/// </summary>
public sealed class IpfailAgent(string local, string peer, bool autoFailback, TimeSpan keepalive)
{
    /// <summary>3.0.6's msg_resources sleeps 10 s after the other side became stable before asking again.</summary>
    public static readonly TimeSpan StabilityRecheckDelay = TimeSpan.FromSeconds(10);

    private readonly List<HaMessage> _messages = [];
    private readonly List<MembershipEvent> _events = [];
    private HoldSet? _giveupDue;

    /// <summary>The other node (ipfail's other_node: the one normal node that is not us).</summary>
    public string Peer { get; } = peer;

    public bool AutoFailback { get; } = autoFailback;

    /// <summary>delay_giveup's default: twice the keepalive.</summary>
    public TimeSpan GiveupDelay { get; } = keepalive * 2;

    /// <summary>Whether ipfail is running: it signs on once communication is up (3.0.6 starts respawn clients then).</summary>
    public bool Started { get; private set; }

    /// <summary>The count we last sent to the other node, or null.</summary>
    public int? LastSent { get; private set; }

    /// <summary>The other node's count from its last num_ping_nodes, or null.</summary>
    public int? PeerCount { get; private set; }

    /// <summary>The pending delayed giveup: when it fires and which groups it gives, or null.</summary>
    public (TimeSpan At, HoldSet Set)? PendingGiveup { get; private set; }

    /// <summary>A giveup found us in transition; we wait for the other side's stable report.</summary>
    public bool NeedStandby { get; private set; }

    /// <summary>When we ask for counts again after the other side became stable, or null.</summary>
    public TimeSpan? RecheckAt { get; private set; }

    /// <summary>Whether the other side's last resource report said stable (ipfail's node_stable).</summary>
    public bool PeerStable { get; private set; } = true;

    public TimeSpan NextDeadline
    {
        get
        {
            var due = PendingGiveup?.At ?? TimeSpan.MaxValue;
            return RecheckAt is { } recheck && recheck < due ? recheck : due;
        }
    }

    /// <summary>Communication is up: ipfail signs on, and heartbeat tells the other node (the join notice).</summary>
    public void Start()
    {
        if (Started)
        {
            return;
        }

        Started = true;
        _messages.Add(IpfailMessages.JoinNotice(local));
    }

    /// <summary>A ping node's status became ping (NodeStatus callback): ask the other side for its count.</summary>
    public void PingNodeUp(int ours)
    {
        if (Started)
        {
            Note(IpfailNote.PingNodeCameUp, ours);
            Ask(ours);
        }
    }

    /// <summary>A node died (NodeStatus callback, dead): ipfail only says whether we still see ping nodes.</summary>
    public void NodeDied(int ours)
    {
        if (Started)
        {
            Note(ours > 0 ? IpfailNote.StillAlive : IpfailNote.WeAreDead, ours);
        }
    }

    /// <summary>A link died, of the peer or of a ping node (LinkStatus callback): ask the other side for its count.</summary>
    public void LinkDied(int ours)
    {
        if (!Started)
        {
            return;
        }

        Note(ours > 0 ? IpfailNote.CheckingRemoteCount : IpfailNote.WeAreDead, ours);
        Ask(ours);
    }

    /// <summary>A sequenced message for us from <paramref name="from"/>; <paramref name="stable"/>: nothing is in transition here.</summary>
    public void Received(string from, HaMessage message, int ours, bool stable, TimeSpan now)
    {
        if (!Started)
        {
            return;
        }

        switch (message.Type)
        {
            case IpfailMessages.ClientStatus when IpfailMessages.IsOtherJoin(message, local):
                Note(IpfailNote.PeerJoined, ours, detail: from);
                Ask(ours);
                break;
            case IpfailMessages.NumPingNodes when IpfailMessages.ReadCount(message) is { } theirs:
                Compare(ours, theirs, stable, now);
                break;
            case IpfailMessages.YouAreDead:
                Note(IpfailNote.ToldWeAreDead, ours, PeerCount ?? 0);
                DelayGiveup(HoldSet.All, now);
                break;
            case IpfailMessages.AbortGiveup:
                AbortGiveup();
                break;
            case ResourceMessages.Resource when from == Peer:
                PeerReport(message, now);
                break;
        }
    }

    /// <summary>Timers: the delayed giveup, the recheck after the other side became stable.</summary>
    public void Tick(int ours, bool stable, TimeSpan now)
    {
        if (PendingGiveup is { } pending && now >= pending.At)
        {
            PendingGiveup = null;
            Note(IpfailNote.GiveupCalled, ours, detail: ResourcePlanner.Name(pending.Set));
            if (stable)
            {
                _giveupDue = pending.Set;
                NeedStandby = false;
            }
            else
            {
                NeedStandby = true;
                Note(IpfailNote.GiveupWaitsForStability, ours);
            }
        }

        if (RecheckAt is { } recheck && now >= recheck)
        {
            RecheckAt = null;
            Ask(ours);
        }
    }

    /// <summary>The standby request the giveup asks for (ask_resources with info=me), once; null when none is due.</summary>
    public HoldSet? TakeGiveup()
    {
        var due = _giveupDue;
        _giveupDue = null;
        return due;
    }

    /// <summary>The standby request was refused: noted for the log.</summary>
    public void GiveupRefused(string why) => _events.Add(new IpfailEvent(IpfailNote.GiveupRefused, Detail: why));

    public void DrainMessages(List<HaMessage> into)
    {
        into.AddRange(_messages);
        _messages.Clear();
    }

    public void DrainEvents(List<MembershipEvent> into)
    {
        into.AddRange(_events);
        _events.Clear();
    }

    private void Compare(int ours, int theirs, bool stable, TimeSpan now)
    {
        PeerCount = theirs;
        if (ours > theirs)
        {
            Note(IpfailNote.TellingMore, ours, theirs);
            _messages.Add(IpfailMessages.TellYouAreDead(Peer));
        }
        else if (ours < theirs)
        {
            Note(IpfailNote.FewerThanPeer, ours, theirs);
            DelayGiveup(HoldSet.All, now);
        }
        else
        {
            Note(IpfailNote.Balanced, ours, theirs);
            _messages.Add(IpfailMessages.TellAbortGiveup(local, Peer));
            if (PendingGiveup is not null)
            {
                // 3.0.6's own comment doubts this when an auto_failback giveup is pending; kept as it behaves.
                AbortGiveup();
            }
            else if (AutoFailback && stable)
            {
                Note(IpfailNote.GivingUpForeign, ours, theirs);
                DelayGiveup(HoldSet.Foreign, now);
            }
        }
    }

    private void PeerReport(HaMessage message, TimeSpan now)
    {
        // Only the report without info= carries the stability ipfail waits for (3.0.6 sends two).
        switch (message.GetString(ResourceFields.IsStable))
        {
            case "1" when message.GetString(ResourceFields.Info) is null:
                PeerStable = true;
                if (NeedStandby)
                {
                    NeedStandby = false;
                    RecheckAt = now + StabilityRecheckDelay;
                }

                break;
            case "0":
                PeerStable = false;
                break;
        }
    }

    private void Ask(int ours)
    {
        Note(IpfailNote.Asking, ours);
        LastSent = ours;
        _messages.Add(IpfailMessages.AskPingNodes(local, Peer, ours));
    }

    private void DelayGiveup(HoldSet set, TimeSpan now)
    {
        // A second delay replaces the first ("Detected existing delay timer, overriding").
        PendingGiveup = (now + GiveupDelay, set);
        _events.Add(new IpfailEvent(IpfailNote.DelayedGiveup, Seconds: (int)GiveupDelay.TotalSeconds, Detail: ResourcePlanner.Name(set)));
    }

    private void AbortGiveup()
    {
        if (PendingGiveup is null)
        {
            Note(IpfailNote.NoGiveupToAbort, LastSent ?? 0);
            return;
        }

        PendingGiveup = null;
        Note(IpfailNote.AbortedGiveup, LastSent ?? 0);
    }

    private void Note(IpfailNote note, int ours, int theirs = 0, string? detail = null) => _events.Add(new IpfailEvent(note, ours, theirs, Detail: detail));
}
