using System.Collections.Immutable;
using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Membership;

namespace Heartbeat.Protocol.Ping;

/// <summary>
/// The ping nodes of ha.cf (3.0.6's ping, ping6 and ping_group plugins) as a pure function of (state, input, time):
/// one echo request per node with every status we send (3.0.6's plugins write one for each status message), a reply
/// counts when it carries our signed <c>NS_st</c> payload for that node with a time stamp we sent lately, and a node
/// with no such reply for deadping (initdead until communication is up, as 3.0.6's check_for_timeouts) is dead.
/// Nothing is allocated per probe or per reply: packets are written into each node's buffer, replies read in place.
/// </summary>
public sealed class PingMonitor
{
    private readonly PingNodeState[] _nodes;
    private readonly AuthKeys _keys;
    private readonly bool _classicFormat;
    private readonly TimeSpan _deadping;
    private readonly TimeSpan _initdead;
    private readonly ushort _identifier;
    private readonly byte[] _scratch = new byte[PingNodeState.PacketRoom];
    private readonly List<MembershipEvent> _events = [];
    private bool _communicationUp;

    /// <param name="identifier">The ICMP identifier of our requests (3.0.6: its pid's low 16 bits).</param>
    public PingMonitor(HaCf haCf, AuthKeys keys, ushort identifier, TimeSpan now)
    {
        _keys = keys;
        _classicFormat = haCf.ClassicMessageFormat;
        _deadping = haCf.Deadping;
        _initdead = haCf.Initdead;
        _identifier = identifier;

        // A reply's ts must be one of the requests of the last window (and a little more): a recorded reply replayed
        // later cannot keep a dead gateway alive. One request a keepalive; ts has whole seconds, so a few spare slots.
        var longest = _initdead > _deadping ? _initdead : _deadping;
        int remembered = (int)Math.Clamp((longest.Ticks / Math.Max(haCf.Keepalive.Ticks, 1)) + 3, 4, 256);
        _nodes = [.. haCf.PingNodes.Select((entry, i) => new PingNodeState(entry, i, remembered, now))];
    }

    public ImmutableArray<PingNodeState> Nodes => [.. _nodes];

    public int Count => _nodes.Length;

    public ushort Identifier => _identifier;

    /// <summary>How many ping nodes answer now (status <c>ping</c>): the count ipfail compares.</summary>
    public int Alive
    {
        get
        {
            int alive = 0;
            foreach (var node in _nodes)
            {
                alive += node.Status == PingPayload.PingStatus ? 1 : 0;
            }

            return alive;
        }
    }

    /// <summary>Echo replies that carried our identifier but not our signed payload for one of our nodes (another program's, or forged).</summary>
    public long ForeignReplies { get; private set; }

    /// <summary>The moment the next ping node would be declared dead, or <see cref="TimeSpan.MaxValue"/>.</summary>
    public TimeSpan NextDeadline
    {
        get
        {
            var due = TimeSpan.MaxValue;
            var window = Window;
            foreach (var node in _nodes)
            {
                if (node.Status != NodeStatus.Dead && node.LastUpdate + window < due)
                {
                    // Strictly after the window, as 3.0.6 (a last update exactly at the edge is still recent).
                    due = node.LastUpdate + window + TimeSpan.FromTicks(1);
                }
            }

            return due;
        }
    }

    private TimeSpan Window => _communicationUp ? _deadping : _initdead;

    /// <summary>The ping node of that (lower-case) name, or null.</summary>
    public PingNodeState? Find(string name) => Array.Find(_nodes, n => n.Name == name);

    /// <summary>Communication is up: from now on deadping is the window.</summary>
    public void CommunicationUp() => _communicationUp = true;

    /// <summary>
    /// A status message went out: one echo request per ping node (3.0.6 writes one for every status, with its ts),
    /// added to <paramref name="echoes"/>.
    /// </summary>
    public void Probe(ulong timestamp, List<OutgoingEcho> echoes)
    {
        foreach (var node in _nodes)
        {
            bool ipv6 = node.Entry.Kind == PingKind.Ping6;
            var packet = node.Packet.AsSpan();
            int payload = PingPayload.Write(packet[IcmpEcho.HeaderLength..], _scratch, node.Entry.Kind, node.Entry.Written, timestamp, _keys, _classicFormat);
            if (payload == 0)
            {
                continue;
            }

            int length = IcmpEcho.WriteRequestHeader(packet, ipv6, _identifier, node.Sequence++, payload);
            node.Remember(timestamp);
            node.Probes += node.Entry.Hosts.Length;
            echoes.Add(new OutgoingEcho(node.Index, ipv6, node.Packet.AsMemory(0, length)));
        }
    }

    /// <summary>
    /// A packet from a raw ICMP socket (<paramref name="ipv6"/>: the ICMPv6 one). Returns whether it was an
    /// authenticated reply for one of our nodes; anything else is dropped (and counted when it carried our identifier).
    /// </summary>
    public bool Receive(ReadOnlySpan<byte> packet, bool ipv6, TimeSpan now)
    {
        if (!IcmpEcho.TryReadReply(packet, ipv6, _identifier, out var payload))
        {
            return false;
        }

        if (PingPayload.TryVerify(payload, _keys, out var kind, out var name, out ulong timestamp) && (kind == PingKind.Ping6) == ipv6)
        {
            foreach (var node in _nodes)
            {
                if (node.Entry.Kind == kind && payload[name].SequenceEqual(node.WrittenBytes) && timestamp != 0 && node.Remembers(timestamp))
                {
                    Answered(node, now);
                    return true;
                }
            }
        }

        ForeignReplies++;
        return false;
    }

    /// <summary>The deadping check (3.0.6's check_for_timeouts for ping nodes): node dead, then its link.</summary>
    public void Tick(TimeSpan now)
    {
        var window = Window;
        foreach (var node in _nodes)
        {
            if (node.Status == NodeStatus.Dead || now - node.LastUpdate <= window)
            {
                continue;
            }

            _events.Add(new PingNodeDead(node.Name, now - node.LastUpdate, window, node.LastReply is null));
            node.Status = NodeStatus.Dead;
            if (node.LinkUp)
            {
                node.LinkUp = false;
                _events.Add(new LinkChanged(node.Name, node.Name, Up: false));
            }
        }
    }

    /// <summary>Moves the events since the last drain into <paramref name="into"/>.</summary>
    public void DrainEvents(List<MembershipEvent> into)
    {
        into.AddRange(_events);
        _events.Clear();
    }

    private void Answered(PingNodeState node, TimeSpan now)
    {
        node.LastUpdate = now;
        node.LastReply = now;
        node.Replies++;
        if (!node.LinkUp)
        {
            node.LinkUp = true;
            _events.Add(new LinkChanged(node.Name, node.Name, Up: true));
        }

        if (node.Status != PingPayload.PingStatus)
        {
            string old = node.Status;
            node.Status = PingPayload.PingStatus;
            _events.Add(new PingNodeUp(node.Name, old));
        }
    }
}
