using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Ping;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Tests.Ping;

/// <summary>The echo framing, the signed NS_st payload and the ping nodes' liveness on a fake clock.</summary>
public class PingMonitorTests
{
    private static readonly AuthKeys Keys = AuthKeys.FromSpec("1:sha1:securepass");
    private static readonly TimeSpan Keepalive = TimeSpan.FromSeconds(1);

    private static HaCf Config(params PingNodeEntry[] nodes) => new()
    {
        Nodes = [new NodeEntry("server1", 1), new NodeEntry("server2", 2)],
        Keepalive = Keepalive,
        Deadtime = TimeSpan.FromSeconds(5),
        Initdead = TimeSpan.FromSeconds(12),
        Deadping = TimeSpan.FromSeconds(4),
        ClassicMessageFormat = true,
        PingNodes = [.. nodes],
    };

    private static PingNodeEntry Gateway => new("10.0.0.254", "10.0.0.254", PingKind.Ping, ["10.0.0.254"], 3);

    [Fact]
    public void The_payload_is_3_0_6s_signed_NS_st_message_in_its_field_order()
    {
        byte[] buffer = new byte[1024];
        int length = PingPayload.Write(buffer, new byte[1024], PingKind.Ping, "GW1", 0x6760a1b2, Keys, classicFormat: true);
        var decoded = DatagramCodec.Decode(buffer.AsMemory(0, length));
        Assert.True(decoded.IsOk);
        var message = decoded.Value.Message;
        Assert.Equal(["t", "st", "info", "src", "ts", "auth"], message.Fields.Select(f => f.Name));
        Assert.Equal(["NS_st", "ping", "ping", "GW1", "6760a1b2"], message.Fields.Take(5).Select(f => f.Text));
        Assert.True(new Authenticator(Keys).Verify(decoded.Value).IsValid);
        Assert.True(new Authenticator(Keys).VerifyInner(message).IsValid);

        // The same bytes as the general encoder gives the same message.
        var general = new Authenticator(Keys).Encode(new HaMessage([.. message.Fields.Take(5)]), WireOptions.Default);
        Assert.Equal(general, buffer.AsSpan(0, length).ToArray());
    }

    [Fact]
    public void Only_a_payload_signed_with_our_keys_verifies()
    {
        byte[] buffer = new byte[1024];
        int length = PingPayload.Write(buffer, new byte[1024], PingKind.PingGroup, "gateways", 42, Keys, classicFormat: false);
        Assert.True(PingPayload.TryVerify(buffer.AsSpan(0, length), Keys, out var kind, out var name, out ulong ts));
        Assert.Equal((PingKind.PingGroup, "gateways", 42UL), (kind, System.Text.Encoding.Latin1.GetString(buffer.AsSpan(0, length)[name]), ts));

        Assert.False(PingPayload.TryVerify(buffer.AsSpan(0, length), AuthKeys.FromSpec("1:sha1:otherpass"), out _, out _, out _));
        buffer[length / 2] ^= 1;
        Assert.False(PingPayload.TryVerify(buffer.AsSpan(0, length), Keys, out _, out _, out _));
    }

    [Fact]
    public void The_echo_header_carries_identifier_sequence_and_a_valid_checksum()
    {
        byte[] packet = new byte[IcmpEcho.HeaderLength + 5];
        "hello"u8.CopyTo(packet.AsSpan(IcmpEcho.HeaderLength));
        int length = IcmpEcho.WriteRequestHeader(packet, ipv6: false, identifier: 0x1234, sequence: 7, payloadLength: 5);
        Assert.Equal(13, length);
        Assert.Equal([8, 0], packet[..2]);
        Assert.Equal(0, IcmpEcho.Checksum(packet)); // a correct checksum sums to zero
        Assert.Equal([0, 7], packet[6..8]);

        var reply = EchoReplies.To(packet, ipv6: false);
        Assert.True(IcmpEcho.TryReadReply(reply, ipv6: false, 0x1234, out var payload));
        Assert.Equal("hello"u8.ToArray(), payload.ToArray());
        Assert.False(IcmpEcho.TryReadReply(reply, ipv6: false, 0x1235, out _)); // another program's identifier
        Assert.False(IcmpEcho.TryReadReply(packet, ipv6: false, 0x1234, out _)); // a request, not a reply
        Assert.False(IcmpEcho.TryReadReply(reply.AsSpan(0, 24), ipv6: false, 0x1234, out _)); // truncated
    }

    [Fact]
    public void A_node_is_ping_while_it_answers_and_dead_after_deadping_of_silence()
    {
        var now = TimeSpan.Zero;
        var monitor = new PingMonitor(Config(Gateway), Keys, 0x4242, now);
        monitor.CommunicationUp();
        var echoes = new List<OutgoingEcho>();
        var events = new List<MembershipEvent>();

        monitor.Probe(1000, echoes);
        var echo = Assert.Single(echoes);
        Assert.Equal((0, false), (echo.Node, echo.Ipv6));
        Assert.True(monitor.Receive(EchoReplies.To(echo.Packet.Span, ipv6: false), ipv6: false, now + TimeSpan.FromMilliseconds(3)));
        monitor.DrainEvents(events);
        Assert.Equal([new LinkChanged("10.0.0.254", "10.0.0.254", true), new PingNodeUp("10.0.0.254", "init")], events);
        Assert.Equal(1, monitor.Alive);

        // Silent from now on: dead strictly after deadping (4 s), then its link.
        events.Clear();
        monitor.Tick(now + TimeSpan.FromSeconds(4));
        monitor.DrainEvents(events);
        Assert.Empty(events);
        Assert.Equal(TimeSpan.FromMilliseconds(4003) + TimeSpan.FromTicks(1), monitor.NextDeadline);
        monitor.Tick(monitor.NextDeadline);
        monitor.DrainEvents(events);
        Assert.Equal(2, events.Count);
        Assert.Equal(new PingNodeDead("10.0.0.254", TimeSpan.FromSeconds(4) + TimeSpan.FromTicks(1), TimeSpan.FromSeconds(4), false), events[0]);
        Assert.Equal(new LinkChanged("10.0.0.254", "10.0.0.254", false), events[1]);
        Assert.Equal("dead", monitor.Nodes[0].Status);
        Assert.Equal(0, monitor.Alive);
        Assert.Equal(TimeSpan.MaxValue, monitor.NextDeadline);
    }

    [Fact]
    public void Before_communication_is_up_the_window_is_initdead()
    {
        var monitor = new PingMonitor(Config(Gateway), Keys, 1, TimeSpan.Zero);
        var events = new List<MembershipEvent>();
        monitor.Tick(TimeSpan.FromSeconds(11));
        monitor.DrainEvents(events);
        Assert.Empty(events);
        monitor.Tick(TimeSpan.FromSeconds(12.5));
        monitor.DrainEvents(events);
        Assert.Equal(new PingNodeDead("10.0.0.254", TimeSpan.FromSeconds(12.5), TimeSpan.FromSeconds(12), true), Assert.Single(events));
    }

    [Fact]
    public void Foreign_replies_stale_replies_and_replies_for_another_node_change_nothing()
    {
        var other = new PingNodeEntry("10.0.0.253", "10.0.0.253", PingKind.Ping, ["10.0.0.253"], 4);
        var monitor = new PingMonitor(Config(Gateway), Keys, 0x4242, TimeSpan.Zero);
        var stranger = new PingMonitor(Config(other), Keys, 0x4242, TimeSpan.Zero);
        var echoes = new List<OutgoingEcho>();

        // Another program's replies, with our identifier too: counted, never counted as alive.
        for (ushort seq = 0; seq < 1000; seq++)
        {
            Assert.False(monitor.Receive(EchoReplies.Foreign(0x4242, seq, ipv6: false), ipv6: false, TimeSpan.FromSeconds(1)));
            Assert.False(monitor.Receive(EchoReplies.Foreign(0x1111, seq, ipv6: false), ipv6: false, TimeSpan.FromSeconds(1)));
        }

        Assert.Equal(1000, monitor.ForeignReplies);

        // A signed reply naming a node that is not ours.
        stranger.Probe(5, echoes);
        Assert.False(monitor.Receive(EchoReplies.To(echoes[0].Packet.Span, ipv6: false), ipv6: false, TimeSpan.FromSeconds(1)));

        // Our own reply, recorded and replayed after the time stamps it carries have rotated out.
        echoes.Clear();
        monitor.Probe(100, echoes);
        byte[] recorded = EchoReplies.To(echoes[0].Packet.Span, ipv6: false);
        for (ulong ts = 101; ts < 130; ts++)
        {
            echoes.Clear();
            monitor.Probe(ts, echoes);
        }

        Assert.False(monitor.Receive(recorded, ipv6: false, TimeSpan.FromSeconds(2)));
        Assert.Equal("init", monitor.Nodes[0].Status);
        Assert.True(monitor.Receive(EchoReplies.To(echoes[0].Packet.Span, ipv6: false), ipv6: false, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void Ping6_uses_ICMPv6_and_a_group_counts_a_reply_from_any_member()
    {
        var v6 = new PingNodeEntry("fd00::fe", "fd00::fe", PingKind.Ping6, ["fd00::fe"], 3);
        var group = new PingNodeEntry("gateways", "Gateways", PingKind.PingGroup, ["10.0.0.1", "10.0.0.2"], 4);
        var monitor = new PingMonitor(Config(v6, group), Keys, 7, TimeSpan.Zero);
        var echoes = new List<OutgoingEcho>();
        monitor.Probe(9, echoes);
        Assert.Equal([(0, true), (1, false)], echoes.Select(e => (e.Node, e.Ipv6)));
        Assert.Equal(IcmpEcho.EchoRequest6, echoes[0].Packet.Span[0]);
        Assert.Equal(2, monitor.Nodes[1].Probes); // one request to each member

        // An ICMPv6 reply is not read as IPv4, nor the other way round.
        Assert.False(monitor.Receive(EchoReplies.To(echoes[0].Packet.Span, ipv6: true), ipv6: false, TimeSpan.FromSeconds(1)));
        Assert.True(monitor.Receive(EchoReplies.To(echoes[0].Packet.Span, ipv6: true), ipv6: true, TimeSpan.FromSeconds(1)));
        Assert.True(monitor.Receive(EchoReplies.To(echoes[1].Packet.Span, ipv6: false), ipv6: false, TimeSpan.FromSeconds(1)));
        Assert.Equal(["ping", "ping"], monitor.Nodes.Select(n => n.Status));
    }

    [Fact]
    public void Probing_and_receiving_allocate_nothing_at_rest()
    {
        var monitor = new PingMonitor(Config(Gateway), Keys, 0x4242, TimeSpan.Zero);
        monitor.CommunicationUp();
        var echoes = new List<OutgoingEcho>(4);
        byte[] reply = new byte[2048];
        byte[] foreign = EchoReplies.Foreign(0x4242, 1, ipv6: false);
        void Turn(ulong ts)
        {
            echoes.Clear();
            monitor.Probe(ts, echoes);
            var request = echoes[0].Packet.Span;
            request.CopyTo(reply.AsSpan(20));
            reply[0] = 0x45;
            reply[20] = 0;
            monitor.Receive(reply.AsSpan(0, 20 + request.Length), ipv6: false, TimeSpan.FromSeconds(ts));
            monitor.Receive(foreign, ipv6: false, TimeSpan.FromSeconds(ts));
            monitor.Tick(TimeSpan.FromSeconds(ts));
        }

        Turn(1);
        Turn(2);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (ulong ts = 3; ts < 200; ts++)
        {
            Turn(ts);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal("ping", monitor.Nodes[0].Status);
    }
}
