using System.Globalization;
using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Membership;

// The receive rules in 3.0.6's order: decode and authenticate, then source, generation and sequence, then dispatch by type.
public sealed partial class MembershipEngine
{
    private void ReceiveDatagram(ReadOnlyMemory<byte> datagram, string iface, TimeSpan now)
    {
        Counters.CountReceived();
        if (TryReadKeepalive(datagram.Span, out var keepalive))
        {
            Process(keepalive, null, iface, now);
            return;
        }

        var decoded = DatagramCodec.DecodeOuter(datagram);
        if (!decoded.IsOk)
        {
            Reject(RejectReason.Malformed, iface, null, decoded.Error.ToString());
            return;
        }

        var packet = decoded.Value;
        var verdict = _authenticator.Verify(packet);
        if (!verdict.IsValid)
        {
            var reason = verdict.Status switch
            {
                AuthStatus.Missing => RejectReason.AuthMissing,
                AuthStatus.Malformed => RejectReason.AuthMalformed,
                AuthStatus.UnknownIndex => RejectReason.AuthUnknownKey,
                _ => RejectReason.AuthMismatch,
            };
            Reject(reason, iface, packet.Effective.GetString(WireFields.Src), verdict.ToString());
            return;
        }

        // Inflated only now that it is authentic (see DatagramCodec.DecompressPayload).
        var inflated = DatagramCodec.DecompressPayload(packet);
        if (!inflated.IsOk)
        {
            Reject(RejectReason.Malformed, iface, packet.Message.GetString(WireFields.Src), inflated.Error.ToString());
            return;
        }

        packet = inflated.Value;
        var message = packet.Effective;
        string? type = message.Type;
        string? src = message.GetString(WireFields.Src);
        if (type is null || src is null || message.GetString(WireFields.Timestamp) is null)
        {
            Reject(RejectReason.MissingFields, iface, src, "t, src or ts missing");
            return;
        }

        bool sequenced = !message.IsUnsequenced;
        ulong seq = 0;
        if (sequenced && (!message.TryGetHex(WireFields.Seq, out seq) || seq == 0))
        {
            Reject(RejectReason.BadSequence, iface, src, $"seq '{message.GetString(WireFields.Seq)}' is not hex above 0");
            return;
        }

        if (!message.TryGetHex(WireFields.Timestamp, out ulong ts) || ts == 0)
        {
            Reject(RejectReason.ZeroTimestamp, iface, src, "ts is 0 or not hex");
            return;
        }

        message.TryGetHex(WireFields.Generation, out ulong generation);
        var destUuid = message.GetBinary(WireFields.DestUuid);
        string? dest = message.GetString(WireFields.Dest);
        bool hasDeadtime = message.TryGetHex(WireFields.DeadTime, out ulong deadtimeMs);
        bool hasAckSeq = message.TryGetHex(MembershipFields.AckSeq, out ulong ackSeq);
        var envelope = new Envelope(
            type,
            src,
            sequenced,
            seq,
            generation,
            message.GetBinary(WireFields.SrcUuid) is { } uuidBytes && NodeUuid.TryFromBytes(uuidBytes, out var uuid) ? uuid : null,
            destUuid is not null ? destUuid.AsSpan().SequenceEqual(_localUuidBytes) : dest is null || dest == Local.Name,
            dest is not null && dest != Local.Name,
            message.GetString(WireFields.Status),
            hasDeadtime ? deadtimeMs : 0,
            message.GetString(WireFields.Protocol) is not null,
            hasAckSeq ? ackSeq : null);
        Process(envelope, message, iface, now);
    }

    /// <summary>
    /// What the receive rules need of an authenticated message, read once: by <see cref="TryReadKeepalive"/> in place,
    /// or from the decoded message. <paramref name="DeadtimeMs"/> is 0 when <c>dt</c> is missing or not hex.
    /// </summary>
    private readonly record struct Envelope(
        string Type,
        string Src,
        bool Sequenced,
        ulong Seq,
        ulong Generation,
        NodeUuid? SrcUuid,
        bool ForUs,
        bool AddressedToAnother,
        string? Status,
        ulong DeadtimeMs,
        bool HasProtocol,
        ulong? AckSeq);

    /// <summary>The receive rules from step 6 on (3.0.6's order); <paramref name="message"/> is null only on the keepalive path.</summary>
    private void Process(in Envelope envelope, HaMessage? message, string iface, TimeSpan now)
    {
        string type = envelope.Type;
        string src = envelope.Src;
        ulong seq = envelope.Seq;
        if (src == Local.Name)
        {
            // Our own broadcast, looped back by the kernel: proof that this interface sends.
            ReportOwnLink(iface, up: true);
            return;
        }

        if (!_peers.TryGetValue(src, out var peer))
        {
            // Names are compared case-sensitively, as 3.0.6 does.
            Reject(RejectReason.UnknownNode, iface, src, $"'{src}' is not a node line of ha.cf");
            return;
        }

        if (envelope.SrcUuid is { } uuid)
        {
            peer.Uuid = uuid;
        }

        // Any authenticated packet from a known node proves the link, even one the sequence rules drop later.
        TouchLink(peer, iface, now);

        if (!envelope.Sequenced)
        {
            HandleUnsequenced(peer, envelope, message, iface);
            return;
        }

        bool isStatus = type == MessageTypes.Status;
        if (!AcceptGeneration(peer, envelope.Generation, isStatus, iface))
        {
            return;
        }

        if (isStatus && peer.IsDead && peer.Sequence.Started && seq <= peer.LastStatusSeq)
        {
            Reject(RejectReason.StaleAfterDeath, iface, peer.Name, $"status seq {seq} not above the last one ({peer.LastStatusSeq}) of a node declared dead");
            return;
        }

        var result = peer.Sequence.Accept(seq);
        if (!HandleSequence(peer, seq, result, iface, now))
        {
            return;
        }

        // Messages for another node move the sequence tracking forward but go no further (3.0.6 step 11); the layers
        // above may still look at one that is not membership's own.
        if (!envelope.ForUs)
        {
            if (type is not (MessageTypes.Status or MessageTypes.RequestNodes or MessageTypes.ReplyNodes or MessageTypes.ShutdownDone))
            {
                _events.Add(new OverheardMessage(peer.Name, message!));
            }

            return;
        }

        switch (type)
        {
            case MessageTypes.Status:
                HandleStatus(peer, envelope, seq, now);
                FollowPeerKeepalive(now);
                break;
            case MessageTypes.RequestNodes:
                _events.Add(new NodeListExchange(peer.Name, Request: false));
                SendNodeList(peer);
                break;
            case MessageTypes.ReplyNodes:
                HandleNodeList(peer, message!);
                break;
            case MessageTypes.ShutdownDone:
                _events.Add(new ShutdownNotice(peer.Name));
                break;
            default:
                _events.Add(new ClusterMessage(peer.Name, message!));
                break;
        }
    }

    private bool AcceptGeneration(PeerNode peer, ulong generation, bool isStatus, string iface)
    {
        if (!peer.HasGeneration)
        {
            peer.HasGeneration = true;
            peer.Generation = generation;
            return true;
        }

        if (generation < peer.Generation)
        {
            // 3.0.6: "should_drop_message: attempted replay attack [X]? [gen = G, curgen = C]".
            Reject(RejectReason.OldGeneration, iface, peer.Name, string.Create(CultureInfo.InvariantCulture, $"gen = {generation}, curgen = {peer.Generation}"));
            return false;
        }

        if (generation > peer.Generation)
        {
            if (!isStatus)
            {
                Reject(RejectReason.GenerationAheadOfStatus, iface, peer.Name, string.Create(CultureInfo.InvariantCulture, $"gen = {generation} before any status of it, curgen = {peer.Generation}"));
                return false;
            }

            _events.Add(new NodeRestarted(peer.Name, peer.Generation, generation));
            peer.Generation = generation;
            peer.Sequence.Reset();
            peer.PendingRetransmits.Clear();
            peer.AckedOurSeq = 0;
            peer.LastStatusSeq = 0;
        }

        return true;
    }
}
