using System.Buffers.Binary;

namespace Heartbeat.Protocol.Ping;

/// <summary>
/// ICMP and ICMPv6 echo framing as 3.0.6's ping plugins use it: an 8-byte header (type, code, checksum, identifier,
/// sequence) followed by the payload. Requests are sent on raw sockets; an IPv4 raw socket delivers replies with their
/// IP header, an ICMPv6 raw socket without (RFC 3542), and the kernel computes the ICMPv6 checksum itself.
/// </summary>
public static class IcmpEcho
{
    public const int HeaderLength = 8;

    public const byte EchoRequest = 8;
    public const byte EchoReply = 0;
    public const byte EchoRequest6 = 128;
    public const byte EchoReply6 = 129;

    /// <summary>
    /// Writes an echo request with <paramref name="payloadLength"/> payload bytes already in place after the header
    /// (so the payload is written once, straight into the packet). Returns the packet's length.
    /// </summary>
    /// <param name="identifier">3.0.6 uses its pid's low 16 bits, in host order: so do we (a reply carries it back unchanged).</param>
    public static int WriteRequestHeader(Span<byte> packet, bool ipv6, ushort identifier, ushort sequence, int payloadLength)
    {
        int length = HeaderLength + payloadLength;
        packet[0] = ipv6 ? EchoRequest6 : EchoRequest;
        packet[1] = 0;
        packet[2] = 0;
        packet[3] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(packet[4..], identifier);
        BinaryPrimitives.WriteUInt16BigEndian(packet[6..], sequence);
        if (!ipv6)
        {
            // The checksum's bytes are the one's-complement sum's, in network order; the kernel does ICMPv6's.
            BinaryPrimitives.WriteUInt16BigEndian(packet[2..], Checksum(packet[..length]));
        }

        return length;
    }

    /// <summary>
    /// The payload of an echo reply carrying our identifier, or false for anything else (another program's echo, a
    /// request, an error message, a truncated packet). <paramref name="packet"/> is what the raw socket delivered: with
    /// the IPv4 header for ICMP, without a header for ICMPv6.
    /// </summary>
    public static bool TryReadReply(ReadOnlySpan<byte> packet, bool ipv6, ushort identifier, out ReadOnlySpan<byte> payload)
    {
        payload = default;
        int start = 0;
        if (!ipv6)
        {
            if (packet.Length < 20 || (packet[0] >> 4) != 4)
            {
                return false;
            }

            start = (packet[0] & 0x0F) * 4;
        }

        if (start < 0 || packet.Length < start + HeaderLength)
        {
            return false;
        }

        var icmp = packet[start..];
        if (icmp[0] != (ipv6 ? EchoReply6 : EchoReply) || icmp[1] != 0 || BinaryPrimitives.ReadUInt16LittleEndian(icmp[4..]) != identifier)
        {
            return false;
        }

        payload = icmp[HeaderLength..];
        return true;
    }

    /// <summary>The Internet checksum (RFC 1071) of an ICMP message whose checksum field is zero.</summary>
    public static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (uint)data[i] << 8;
        }

        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
