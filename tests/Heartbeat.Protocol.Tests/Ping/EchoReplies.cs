using Heartbeat.Protocol.Ping;

namespace Heartbeat.Protocol.Tests.Ping;

/// <summary>What a host answering ping sends back, as our raw sockets deliver it.</summary>
internal static class EchoReplies
{
    /// <summary>The reply to a request: the same identifier, sequence and payload; for IPv4 with a 20-byte IP header in front.</summary>
    public static byte[] To(ReadOnlySpan<byte> request, bool ipv6)
    {
        byte[] icmp = request.ToArray();
        icmp[0] = ipv6 ? IcmpEcho.EchoReply6 : IcmpEcho.EchoReply;
        icmp[2] = icmp[3] = 0;
        if (ipv6)
        {
            return icmp;
        }

        var checksum = IcmpEcho.Checksum(icmp);
        icmp[2] = (byte)(checksum >> 8);
        icmp[3] = (byte)checksum;
        byte[] packet = new byte[20 + icmp.Length];
        packet[0] = 0x45;
        packet[9] = 1; // ICMP
        icmp.CopyTo(packet, 20);
        return packet;
    }

    /// <summary>Another program's echo reply (ping's 56-byte pattern) with the given identifier.</summary>
    public static byte[] Foreign(ushort identifier, ushort sequence, bool ipv6)
    {
        byte[] request = new byte[IcmpEcho.HeaderLength + 56];
        for (int i = IcmpEcho.HeaderLength; i < request.Length; i++)
        {
            request[i] = (byte)i;
        }

        IcmpEcho.WriteRequestHeader(request, ipv6, identifier, sequence, 56);
        return To(request, ipv6);
    }
}
