using System.Globalization;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Membership;

// Retransmission both ways (gaps requested, requests served, naks) and the unsequenced ACK/rexmit messages.
public sealed partial class MembershipEngine
{
    private bool HandleSequence(PeerNode peer, ulong seq, SequenceResult result, string iface, TimeSpan now)
    {
        switch (result.Outcome)
        {
            case SequenceOutcome.Duplicate:
                if (peer.Sequence.Highest - seq < RecentCopyWindow)
                {
                    // The copy of a recent packet from another medium: expected, not a rejection.
                    Counters.CountDuplicate();
                }
                else
                {
                    Reject(RejectReason.OldSequence, iface, peer.Name, string.Create(CultureInfo.InvariantCulture, $"seq {seq} already seen (highest {peer.Sequence.Highest})"));
                }

                return false;
            case SequenceOutcome.Gap:
                _events.Add(new PacketsLost(peer.Name, result.GapFirst, result.GapLast, TrackingReset: false));
                for (ulong missing = result.GapFirst; missing <= result.GapLast; missing++)
                {
                    peer.PendingRetransmits[missing] = new PendingRetransmit(now + RandomRequestDelay());
                }

                break;
            case SequenceOutcome.Reset:
                _events.Add(new PacketsLost(peer.Name, result.GapFirst, result.GapLast, TrackingReset: true));
                peer.PendingRetransmits.Clear();
                break;
            case SequenceOutcome.FilledGap:
                peer.PendingRetransmits.Remove(seq);
                if (peer.Sequence.Missing.Count == 0)
                {
                    _events.Add(new GapsClosed(peer.Name));
                    SendAck(peer, peer.Sequence.Contiguous);
                }

                return true;
        }

        if (FlowControl && peer.Sequence.Missing.Count == 0 && seq % 10 == (ulong)peer.AckTrigger)
        {
            SendAck(peer, seq);
        }

        return true;
    }

    private void HandleUnsequenced(PeerNode peer, in Envelope envelope, HaMessage? message, string iface)
    {
        // NS_* messages are protected by authentication only; they count when addressed to us or to nobody.
        if (envelope.AddressedToAnother)
        {
            return;
        }

        switch (envelope.Type)
        {
            case MessageTypes.Ack:
                if (envelope.AckSeq is not { } ackSeq || ackSeq > LastSentSeq)
                {
                    string sent = envelope.AckSeq is { } parsed ? Hex(parsed) : message?.GetString(MembershipFields.AckSeq) ?? string.Empty;
                    Reject(RejectReason.BadAck, iface, peer.Name, string.Create(CultureInfo.InvariantCulture, $"ackseq '{sent}', current hiseq = {LastSentSeq}"));
                    return;
                }

                peer.AckedOurSeq = Math.Max(peer.AckedOurSeq, ackSeq);
                break;
            case MessageTypes.Rexmit:
                ServeRetransmit(peer, message!, iface);
                break;
            case MessageTypes.NakRexmit:
                if (!message!.TryGetHex(MembershipFields.FirstSeq, out ulong lost))
                {
                    Reject(RejectReason.BadRetransmitRequest, iface, peer.Name, "NS_nak_rexmit without a hex firstseq");
                    return;
                }

                if (peer.Sequence.GiveUp(lost))
                {
                    peer.PendingRetransmits.Remove(lost);
                    _events.Add(new PacketIrretrievable(peer.Name, lost));
                }

                break;
        }
    }

    private void ServeRetransmit(PeerNode peer, HaMessage message, string iface)
    {
        // firstseq and lastseq of a request are decimal, unlike every other seq field (wire-format.md §12.4).
        if (!ulong.TryParse(message.GetString(MembershipFields.FirstSeq), NumberStyles.None, CultureInfo.InvariantCulture, out ulong first)
            || !ulong.TryParse(message.GetString(MembershipFields.LastSeq), NumberStyles.None, CultureInfo.InvariantCulture, out ulong last)
            || last < first)
        {
            Reject(RejectReason.BadRetransmitRequest, iface, peer.Name, $"firstseq '{message.GetString(MembershipFields.FirstSeq)}' lastseq '{message.GetString(MembershipFields.LastSeq)}'");
            return;
        }

        var now = Now;
        last = Math.Min(last, first + MembershipOptions.MaxResendPerRequest - 1);
        for (ulong seq = first; seq <= last; seq++)
        {
            if (seq > LastSentSeq)
            {
                _events.Add(new RetransmitServed(peer.Name, seq, RetransmitOutcome.NotYetSent));
                break;
            }

            if (!_history.TryGet(seq, out var bytes, out var lastResent))
            {
                SendUnsequenced(new HaMessage(
                [
                    HaField.String(WireFields.Type, MessageTypes.NakRexmit),
                    HaField.String(MembershipFields.FirstSeq, Hex(seq)),
                    HaField.String(WireFields.Dest, peer.Name),
                    HaField.String(MembershipFields.Info, "seqno too low"),
                    .. DestUuid(peer),
                ]));
                _events.Add(new RetransmitServed(peer.Name, seq, RetransmitOutcome.NakTooLow));
                continue;
            }

            // The requester already confirmed it: a stale copy of an old request.
            if (seq <= peer.AckedOurSeq)
            {
                _events.Add(new RetransmitServed(peer.Name, seq, RetransmitOutcome.AlreadyAcked));
                continue;
            }

            if (lastResent is { } at && now - at < MembershipOptions.ResendGuard)
            {
                // Every medium delivers the request; one resend per 240 ms is enough.
                _events.Add(new RetransmitServed(peer.Name, seq, RetransmitOutcome.TooSoon));
                continue;
            }

            _history.MarkResent(seq, now);
            Counters.CountRetransmissionServed();
            Emit(new OutgoingDatagram(bytes, "rexmit", seq, Retransmission: true));
            _events.Add(new RetransmitServed(peer.Name, seq, RetransmitOutcome.Resent));
        }
    }

    private void RequestRetransmissions(TimeSpan now)
    {
        foreach (var peer in _peers.Values)
        {
            if (peer.IsDead || peer.PendingRetransmits.Count == 0)
            {
                continue;
            }

            foreach (var (seq, pending) in peer.PendingRetransmits)
            {
                if (now < pending.Due)
                {
                    continue;
                }

                pending.Attempts++;
                pending.Due = now + _options.MaxRexmitDelay;
                string decimalSeq = seq.ToString(CultureInfo.InvariantCulture);
                SendUnsequenced(new HaMessage(
                [
                    HaField.String(WireFields.Type, MessageTypes.Rexmit),
                    HaField.String(WireFields.Dest, peer.Name),
                    HaField.String(MembershipFields.FirstSeq, decimalSeq),
                    HaField.String(MembershipFields.LastSeq, decimalSeq),
                    .. DestUuid(peer),
                ]));
                Counters.CountRetransmitRequest();
                _events.Add(new RetransmitRequested(peer.Name, seq, pending.Attempts));
            }
        }
    }

    private TimeSpan RandomRequestDelay() => TimeSpan.FromMilliseconds(50 + _random.Next(201));
}
