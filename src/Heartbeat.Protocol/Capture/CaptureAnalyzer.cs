using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Capture;

/// <summary>The verdicts for one captured Heartbeat datagram.</summary>
/// <param name="Datagram">The captured UDP datagram.</param>
/// <param name="Decoded">The decoded datagram, or null when decoding failed.</param>
/// <param name="DecodeError">Why decoding failed.</param>
/// <param name="Receiver">What a receiver checks (trailer for netstring, auth field for classic); null without keys.</param>
/// <param name="Trailer">The trailer verdict (netstring only).</param>
/// <param name="Inner">The inner auth field verdict.</param>
/// <param name="Heartbeat306">Whether a 3.0.6 receiver holding these keys would accept the trailer (its key-selection bug).</param>
public sealed record AnalyzedDatagram(
    CapturedDatagram Datagram,
    WireDatagram? Decoded,
    WireError? DecodeError,
    AuthVerdict? Receiver,
    AuthVerdict? Trailer,
    AuthVerdict? Inner,
    AuthVerdict? Heartbeat306)
{
    /// <summary>
    /// Decoded, and (when keys were given) every digest it carries verifies: the trailer, and the auth field when
    /// present. A classic packet must carry its auth field; a netstring packet may leave it out (msgfmt netstring).
    /// </summary>
    public bool IsGood => Decoded is not null
        && (Receiver is null || (Receiver.Value.IsValid
            && (Trailer is null || Trailer.Value.IsValid)
            && Inner!.Value.Status is AuthStatus.Valid or AuthStatus.Missing));
}

/// <summary>Decodes and authenticates every Heartbeat datagram of a capture; what <c>hbctl decode</c> and the vector tests share.</summary>
public static class CaptureAnalyzer
{
    public static IReadOnlyList<AnalyzedDatagram> Analyze(CaptureReader capture, Authenticator? authenticator, int port = 694)
    {
        var results = new List<AnalyzedDatagram>();
        foreach (var datagram in capture.Datagrams)
        {
            if (datagram.DestinationPort != port)
            {
                continue;
            }

            var decoded = DatagramCodec.Decode(datagram.Payload);
            if (!decoded.IsOk)
            {
                results.Add(new AnalyzedDatagram(datagram, null, decoded.Error, null, null, null, null));
                continue;
            }

            var wire = decoded.Value;
            if (authenticator is null)
            {
                results.Add(new AnalyzedDatagram(datagram, wire, null, null, null, null, null));
                continue;
            }

            AuthVerdict? trailer = wire.Framing == Framing.Netstring ? authenticator.VerifyTrailer(wire, TrailerKeySelection.PacketIndex) : null;
            AuthVerdict? quirk = wire.Framing == Framing.Netstring ? authenticator.VerifyTrailer(wire, TrailerKeySelection.Heartbeat306) : null;
            // For a compressed datagram the auth line (msgfmt classic) sits inside the payload.
            var inner = authenticator.VerifyInner(wire.Effective);
            results.Add(new AnalyzedDatagram(datagram, wire, null, authenticator.Verify(wire), trailer, inner, quirk));
        }

        return results;
    }
}
