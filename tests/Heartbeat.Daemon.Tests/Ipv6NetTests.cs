using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using Heartbeat.Daemon.Interop;
using Heartbeat.Daemon.Net;

namespace Heartbeat.Daemon.Tests;

/// <summary>The IPv6 pieces of the VIP path that need no kernel: NA bytes, netlink messages, DAD verdicts, sockaddr_in6.</summary>
public class Ipv6NetTests
{
    /// <summary>
    /// fd00::10 from MAC 52:54:00:12:34:56, checked by hand field by field: the IPv6 header (version 6, payload 32, next
    /// header 58, hop limit 255, fd00::10 → ff02::1), type 136 code 0, the override flag (0x20; with the router flag
    /// 0xa0), the target fd00::10, option 2 (target link-layer address) of length 1 with the MAC. The checksums (0xd5c1,
    /// 0x55c1) were computed apart from this code (a few lines of Python over the same pseudo-header); that the two
    /// differ by exactly 0x8000, the router bit's word, is a check of its own.
    /// </summary>
    [Theory]
    [InlineData(false, "6000000000203afffd000000000000000000000000000010ff0200000000000000000000000000018800d5c120000000fd0000000000000000000000000000100201525400123456")]
    [InlineData(true, "6000000000203afffd000000000000000000000000000010ff020000000000000000000000000001880055c1a0000000fd0000000000000000000000000000100201525400123456")]
    public void A_neighbour_advertisement_has_the_bytes_and_checksum_of_the_vector(bool router, string hex)
    {
        byte[] packet = NeighborAdvertisement.Build(Convert.FromHexString("525400123456"), IPAddress.Parse("fd00::10"), router);
        Assert.Equal(hex, Convert.ToHexStringLower(packet));
        Assert.Equal(NeighborAdvertisement.Length, packet.Length);
        Assert.Equal(0xFFFF, ReceiverSum(packet));
    }

    /// <summary>What a receiver checks: the ones' complement sum over pseudo-header and message, checksum included, is 0xffff.</summary>
    private static int ReceiverSum(byte[] packet)
    {
        byte[] pseudo = [.. packet.AsSpan(8, 32), 0, 0, 0, (byte)(packet.Length - 40), 0, 0, 0, 58, .. packet.AsSpan(40)];
        int sum = 0;
        for (int i = 0; i < pseudo.Length; i += 2)
        {
            sum += (pseudo[i] << 8) | pseudo[i + 1];
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return sum;
    }

    [Fact]
    public void Neighbour_advertisements_go_to_the_all_nodes_mac_as_ipv6_frames()
    {
        var destination = NeighborAdvertisement.AllNodesOn(4);
        byte[] bytes = MemoryMarshal.AsBytes(new ReadOnlySpan<SockAddrLl>(in destination)).ToArray();
        Assert.Equal(0x86DD, BinaryPrimitives.ReverseEndianness(destination.Protocol));
        Assert.Equal(4, destination.IfIndex);
        Assert.Equal("333300000001", Convert.ToHexStringLower(bytes.AsSpan((int)Marshal.OffsetOf<SockAddrLl>(nameof(SockAddrLl.Addr)), 6)));
    }

    [Fact]
    public void An_IPv6_address_request_carries_family_10_and_parses_back()
    {
        byte[] message = NetlinkMessages.AddressRequest(add: true, 7, 3, IPAddress.Parse("fd00::10"), 64, null, null);
        var request = MemoryMarshal.Read<IfAddrMsg>(message.AsSpan(16));
        Assert.Equal(10, request.Family);
        Assert.Equal(64, request.PrefixLength);
        Assert.Equal(0, request.Flags); // no IFA_F_NODAD: the kernel runs duplicate address detection
        Assert.Equal(new InterfaceAddress(3, IPAddress.Parse("fd00::10"), 64, null, null), NetlinkMessages.ParseAddress(message.AsSpan(16)));
    }

    [Theory]
    [InlineData(0x40u, null)] // tentative: DAD still runs
    [InlineData(0x48u, DadOutcome.Failed)] // tentative | dadfailed: in use on the link
    [InlineData(0x80u, DadOutcome.Usable)] // permanent
    public void The_32_bit_flags_attribute_gives_the_dad_verdict(uint flags, DadOutcome? verdict)
    {
        // RTM_NEWADDR as the kernel sends it: ifa_flags holds the low 8 bits, IFA_FLAGS all 32.
        byte[] payload = new byte[8 + 20 + 8];
        MemoryMarshal.Write(payload, new IfAddrMsg { Family = 10, PrefixLength = 64, Flags = (byte)flags, Index = 2 });
        MemoryMarshal.Write(payload.AsSpan(8), new RtAttr { Length = 20, Type = NetlinkMessages.IfaAddress });
        IPAddress.Parse("fd00::10").TryWriteBytes(payload.AsSpan(12), out _);
        MemoryMarshal.Write(payload.AsSpan(28), new RtAttr { Length = 8, Type = NetlinkMessages.IfaFlags });
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(32), flags);
        var parsed = NetlinkMessages.ParseAddress(payload)!;
        Assert.Equal(flags, parsed.Flags);
        Assert.Equal(verdict, DadWatch.Judge(parsed));
        Assert.Equal(DadOutcome.Gone, DadWatch.Judge(null));
    }

    [Theory]
    [InlineData("fd00::", 64, null, true)] // the prefix route the kernel adds with an address
    [InlineData("::", 0, null, false)] // a default route
    [InlineData("2001:db8::", 48, "fe80::1", false)] // via a gateway
    [InlineData("ff00::", 8, null, false)]
    public void An_IPv6_route_is_connected_when_it_has_no_gateway(string destination, int prefix, string? gateway, bool connected)
    {
        var route = new RouteInfo(IPAddress.Parse(destination), prefix, 2, 0, 2, gateway is null ? null : IPAddress.Parse(gateway));
        Assert.Equal(connected, route.IsConnected);
    }

    [Fact]
    public void Sockaddr_in6_holds_the_port_in_network_byte_order_and_the_scope()
    {
        var address = SockAddrIn6.From(new IPEndPoint(new IPAddress(IPAddress.Parse("fe80::2").GetAddressBytes(), 3), 694));
        byte[] bytes = MemoryMarshal.AsBytes(new ReadOnlySpan<SockAddrIn6>(in address)).ToArray();
        Assert.Equal("0a0002b600000000fe80000000000000000000000000000203000000", Convert.ToHexStringLower(bytes));
    }
}
