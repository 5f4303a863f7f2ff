using System.Net;
using System.Runtime.InteropServices;
using Heartbeat.Daemon.Interop;
using Heartbeat.Daemon.Net;

namespace Heartbeat.Daemon.Tests;

public class NetTests
{
    [Fact]
    public void An_address_request_has_the_header_ifaddrmsg_and_aligned_attributes()
    {
        byte[] message = NetlinkMessages.AddressRequest(add: true, 7, 3, IPAddress.Parse("10.10.10.1"), 24, IPAddress.Parse("10.10.10.255"), "ens18:0");
        var header = MemoryMarshal.Read<NlMsgHdr>(message);
        Assert.Equal((uint)message.Length, header.Length);
        Assert.Equal(NetlinkMessages.RtmNewAddr, header.Type);
        Assert.Equal(0x1 | 0x4 | 0x400 | 0x200, header.Flags);
        Assert.Equal(7u, header.Sequence);
        Assert.Equal(0, message.Length % 4);

        // The same bytes parse back as the kernel would report the address.
        var parsed = NetlinkMessages.ParseAddress(message.AsSpan(16));
        Assert.Equal(new InterfaceAddress(3, IPAddress.Parse("10.10.10.1"), 24, IPAddress.Parse("10.10.10.255"), "ens18:0"), parsed);
    }

    [Fact]
    public void A_reply_buffer_ends_at_done_and_reports_errors_as_errno()
    {
        byte[] buffer = new byte[36];
        MemoryMarshal.Write(buffer, new NlMsgHdr { Length = 36, Type = NetlinkMessages.NlmsgError, Sequence = 9 });
        MemoryMarshal.Write(buffer.AsSpan(16), -17); // -EEXIST
        bool more = NetlinkMessages.Parse(buffer, 9, (_, _) => Assert.Fail("no data message expected"), out int? errno);
        Assert.False(more);
        Assert.Equal(17, errno);

        // A message of another sequence (a late answer) is skipped; a truncated one is an error, not a crash.
        Assert.True(NetlinkMessages.Parse(buffer, 10, (_, _) => Assert.Fail("skipped"), out errno));
        MemoryMarshal.Write(buffer, new NlMsgHdr { Length = 400, Type = 24, Sequence = 9 });
        Assert.Throws<InvalidDataException>(() => NetlinkMessages.Parse(buffer, 9, (_, _) => { }, out _));
    }

    [Fact]
    public void Notifications_are_read_whatever_their_sequence_and_a_deleted_address_is_recognised()
    {
        // What a subscriber receives after "ip addr del" (sequence of that tool's request) and an add by anyone else.
        byte[] deleted = NetlinkMessages.AddressRequest(add: false, 41, 3, IPAddress.Parse("10.10.10.1"), 24, null, null);
        byte[] added = NetlinkMessages.AddressRequest(add: true, 0, 2, IPAddress.Parse("192.168.0.9"), 24, null, "eth1");
        byte[] buffer = [.. deleted, .. added];
        var seen = new List<(ushort Type, string Address)>();
        NetlinkMessages.ParseNotifications(buffer, (type, payload) => seen.Add((type, NetlinkMessages.ParseAddress(payload)!.Address.ToString())));
        Assert.Equal([(NetlinkMessages.RtmDelAddr, "10.10.10.1"), (NetlinkMessages.RtmNewAddr, "192.168.0.9")], seen);

        // A length that runs past the buffer is refused, as for replies.
        Assert.Throws<InvalidDataException>(() => NetlinkMessages.ParseNotifications(buffer.AsSpan(0, deleted.Length + 20), (_, _) => { }));
    }

    [Theory]
    [InlineData(false, "0001080006040001aabbccddeeff0a0a0a01000000000000" + "0a0a0a01")]
    [InlineData(true, "0001080006040002aabbccddeeff0a0a0a01ffffffffffff" + "0a0a0a01")]
    public void Gratuitous_arp_frames_match_send_arp(bool reply, string hex)
    {
        byte[] frame = GratuitousArp.Build(Convert.FromHexString("aabbccddeeff"), IPAddress.Parse("10.10.10.1"), reply);
        Assert.Equal(hex, Convert.ToHexStringLower(frame));
    }
}
