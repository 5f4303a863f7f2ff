using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Membership;

// The keepalive path: status and ACK read in place and written in place, nothing allocated per heartbeat,
// and the keepalive timer following a peer's heartbeat.
public sealed partial class MembershipEngine
{
    /// <summary>
    /// The keepalive path: a status or ACK from a known node, netstring-framed with a valid trailer, read in place and
    /// checked without allocating. Whatever it declines (another type, any irregularity, a rejection to report) goes
    /// to the general decoder, so both paths reach the same verdict; a test holds them to it.
    /// </summary>
    private bool TryReadKeepalive(ReadOnlySpan<byte> datagram, out Envelope envelope)
    {
        envelope = default;
        Span<FieldSlice> room = stackalloc FieldSlice[FastPathFields];
        if (!FlatDatagram.TryRead(datagram, room, out var packet) || !packet.HasValidTrailer(_authenticator.Keys))
        {
            return false;
        }

        bool isStatus = packet.StringEquals("t"u8, "status"u8);
        if (!isStatus && !packet.StringEquals("t"u8, "NS_ackmsg"u8))
        {
            return false;
        }

        if (!packet.TryGetString("src"u8, out var srcBytes) || !packet.TryGetHex("ts"u8, out ulong ts) || ts == 0)
        {
            return false;
        }

        ulong seq = 0;
        if (isStatus && (!packet.TryGetHex("seq"u8, out seq) || seq == 0))
        {
            return false;
        }

        // An ACK without a readable ackseq goes to the general path, which names the problem.
        bool hasAckSeq = packet.TryGetHex("ackseq"u8, out ulong ackSeq);
        if (!isStatus && !hasAckSeq)
        {
            return false;
        }

        string? src = _localNameBytes is { } local && srcBytes.SequenceEqual(local) ? Local.Name : null;
        foreach (var peer in _peers.Values)
        {
            if (src is null && peer.NameBytes is { } name && srcBytes.SequenceEqual(name))
            {
                src = peer.Name;
            }
        }

        string? status = null;
        if (packet.TryGetString("st"u8, out var statusBytes))
        {
            status = KnownStatus(statusBytes);
            if (status is null)
            {
                return false;
            }
        }
        else if (packet.TryGetBinary("st"u8, out _))
        {
            return false;
        }

        if (src is null)
        {
            return false;
        }

        packet.TryGetHex("hg"u8, out ulong generation);
        bool hasDest = packet.TryGetString("dest"u8, out var dest);
        bool forUs = packet.TryGetBinary("destuuid"u8, out var destUuid)
            ? destUuid.SequenceEqual(_localUuidBytes)
            : !hasDest || IsLocalName(dest);
        bool hasDeadtime = packet.TryGetHex("dt"u8, out ulong deadtimeMs);
        envelope = new Envelope(
            isStatus ? MessageTypes.Status : MessageTypes.Ack,
            src,
            isStatus,
            seq,
            generation,
            packet.TryGetBinary("srcuuid"u8, out var uuidBytes) && NodeUuid.TryFromBytes(uuidBytes, out var uuid) ? uuid : null,
            forUs,
            hasDest && !IsLocalName(dest),
            status,
            hasDeadtime ? deadtimeMs : 0,
            packet.TryGetString("protocol"u8, out _),
            hasAckSeq ? ackSeq : null);
        return true;

        bool IsLocalName(ReadOnlySpan<byte> name) => _localNameBytes is { } local && name.SequenceEqual(local);

        static string? KnownStatus(ReadOnlySpan<byte> text) =>
            text.SequenceEqual("active"u8) ? NodeStatus.Active
            : text.SequenceEqual("up"u8) ? NodeStatus.Up
            : text.SequenceEqual("init"u8) ? NodeStatus.Init
            : text.SequenceEqual("dead"u8) ? NodeStatus.Dead
            : null;
    }

    /// <summary>
    /// An idle daemon pays per wake-up, not per packet: two nodes whose keepalive timers run at unrelated phases wake
    /// four times a keepalive (each for its own timer and for the other's heartbeat). So when a peer's heartbeat
    /// arrives and ours is due within half a keepalive, ours goes out now, in the same wake-up, and our phase moves to
    /// now: after one round one node wakes for its timer and the other for the first one's heartbeat, three wake-ups
    /// a keepalive for the pair (measured side by side: 252 → 141–173 wake-ups per node in 120 s, loop CPU −22 to −47 %). Our
    /// intervals only ever get shorter (once, by at most half a keepalive; then they follow the peer's, and our own
    /// timer still fires on time when the peer's heartbeat is late), so no peer's deadtime window or late-heartbeat
    /// measure can suffer; 3.0.6 sends on its timer only.
    /// </summary>
    private void FollowPeerKeepalive(TimeSpan now)
    {
        if (_started && _nextKeepalive > now && _nextKeepalive - now <= _options.Keepalive / 2)
        {
            SendStatus();
            _nextKeepalive = now + _options.Keepalive;
        }
    }

    private void SendAck(PeerNode peer, ulong seq)
    {
        if (!FlowControl || seq == 0)
        {
            return;
        }

        // Every tenth heartbeat is ACKed: the keepalive path, so written in place into the arena drained with it.
        var room = _unsequencedArena.AsSpan(_unsequencedArenaUsed);
        var writer = new DatagramWriter(room, _digestInput);
        writer.AddString("t"u8, MessageTypes.Ack);
        writer.AddString("dest"u8, peer.Name);
        writer.AddHex("ackseq"u8, seq);
        if (peer.Uuid is { } uuid)
        {
            Span<byte> uuidBytes = stackalloc byte[NodeUuid.Length];
            uuid.WriteBytes(uuidBytes);
            writer.AddBinary("destuuid"u8, uuidBytes);
        }

        StampInPlace(ref writer, seq: null);
        if (writer.TryFinish(_authenticator.Keys, _options.Wire, out int length))
        {
            Emit(new OutgoingDatagram(_unsequencedArena.AsMemory(_unsequencedArenaUsed, length), MessageTypes.Ack, null));
            _unsequencedArenaUsed += length;
            return;
        }

        SendUnsequenced(new HaMessage(
        [
            HaField.String(WireFields.Type, MessageTypes.Ack),
            HaField.String(WireFields.Dest, peer.Name),
            HaField.String(MembershipFields.AckSeq, Hex(seq)),
            .. DestUuid(peer),
        ]));
    }

    /// <summary>
    /// Every status carries our real deadtime. 3.0.6 advertises deadtime + 2 s for the first 5 s after a start
    /// (wire-format.md §6.1), so a node that crashes again soon after a restart is declared dead 2 s later than its
    /// configuration says; peers only read the value, so advertising the real one is compatible and fails over faster.
    /// </summary>
    private void SendStatus()
    {
        // The keepalive path: written in place, kept in the history's recycled buffers, nothing allocated.
        ulong seq = _nextSeq;
        var writer = new DatagramWriter(_sendBuffer, _digestInput);
        writer.AddString("t"u8, MessageTypes.Status);
        writer.AddString("st"u8, LocalStatus);
        writer.AddHex("dt"u8, (ulong)_options.Deadtime.TotalMilliseconds);
        if (FlowControl)
        {
            writer.AddString("protocol"u8, "1"u8);
        }

        StampInPlace(ref writer, seq);
        if (writer.TryFinish(_authenticator.Keys, _options.Wire, out int length))
        {
            _nextSeq++;
            Emit(new OutgoingDatagram(_history.Add(seq, _sendBuffer.AsSpan(0, length)), MessageTypes.Status, seq));
            return;
        }

        var fields = new List<HaField>
        {
            HaField.String(WireFields.Type, MessageTypes.Status),
            HaField.String(WireFields.Status, LocalStatus),
            HaField.String(WireFields.DeadTime, Hex((ulong)_options.Deadtime.TotalMilliseconds)),
        };
        if (FlowControl)
        {
            fields.Add(HaField.String(WireFields.Protocol, "1"));
        }

        SendSequenced(new HaMessage(fields));
    }

    /// <summary><see cref="Stamp"/> for the keepalive path's writer: the same fields, in the same order, with the same values.</summary>
    private void StampInPlace(ref DatagramWriter writer, ulong? seq)
    {
        writer.AddString("src"u8, Local.Name);
        writer.AddBinary("srcuuid"u8, _localUuidBytes);
        if (seq is { } s)
        {
            writer.AddHex("seq"u8, s);
        }

        writer.AddHex("hg"u8, Local.Generation);
        writer.AddHex("ts"u8, (ulong)_time.GetUtcNow().ToUnixTimeSeconds());
        if (seq is not null)
        {
            if (_writeLoadAverage is { } write)
            {
                Span<byte> load = stackalloc byte[MaxLoadAverageLength];
                writer.AddString("ld"u8, load[..Math.Clamp(write(load), 0, load.Length)]);
            }
            else
            {
                writer.AddString("ld"u8, _loadAverage());
            }
        }

        writer.AddDecimal("ttl"u8, _options.MessageTtl);
    }
}
