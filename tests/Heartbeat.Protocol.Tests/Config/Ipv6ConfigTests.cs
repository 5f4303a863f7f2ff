using System.Net;
using System.Text;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Resources;

namespace Heartbeat.Protocol.Tests.Config;

/// <summary>IPv6 VIPs in haresources and the IPv6 media of ha.cf (mcast6, ucast6), as 3.0.6 spells them.</summary>
public class Ipv6ConfigTests
{
    private static ParseResult<HaResources> Resources(string line) =>
        HaResourcesParser.Parse(Encoding.ASCII.GetBytes($"server1 {line}\n"), "haresources", ["server1"]);

    [Theory]
    [InlineData("IPv6addr::fd00:0:0:0:0:0:0:10/64/ens18", "fd00::10", 64, "ens18")] // the spelling 3.0.6 can carry
    [InlineData("IPv6addr::fd00:0:0:0:0:0:0:10/64", "fd00::10", 64, null)]
    [InlineData("IPv6addr::fd00:0:0:0:0:0:0:10", "fd00::10", null, null)]
    [InlineData("IPv6addr::fd00::10/64/ens18", "fd00::10", 64, "ens18")] // compressed: '::' split the line, joined back
    [InlineData("IPv6addr::2001:db8::1:0:5/120", "2001:db8::1:0:5", 120, null)]
    [InlineData("IPaddr2::fd00:0:0:0:0:0:0:10/64/ens18", "fd00::10", 64, "ens18")]
    [InlineData("IPaddr2::fd00::10/64/ens18", "fd00::10", 64, "ens18")]
    public void An_IPv6_vip_is_parsed_as_one_native_address(string resource, string address, int? prefix, string? nic)
    {
        var result = Resources(resource);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        var spec = result.Value!.Groups[0].Resources[0];
        Assert.True(spec.IsIpAddress);
        Assert.Equal(resource, spec.Text); // the group key stays as written
        Assert.Equal(IPAddress.Parse(address), spec.Ip!.Address);
        Assert.Equal(prefix, spec.Ip.PrefixLength);
        Assert.Equal(nic, spec.Ip.Interface);
        Assert.Single(spec.Arguments);
    }

    [Fact]
    public void What_a_real_306_node_cannot_run_gets_a_note()
    {
        var compressed = Resources("IPv6addr::fd00::10/64/ens18");
        Assert.Contains(compressed.Diagnostics, d => d.Severity == DiagnosticSeverity.Note && d.Message.Contains("splits into separate arguments", StringComparison.Ordinal));

        var ipaddr2 = Resources("IPaddr2::fd00:0:0:0:0:0:0:10/64/ens18");
        Assert.Contains(ipaddr2.Diagnostics, d => d.Severity == DiagnosticSeverity.Note && d.Hint!.Contains("lvs_support=1", StringComparison.Ordinal));

        var plain = Resources("IPv6addr::fd00:0:0:0:0:0:0:10/64/ens18");
        Assert.Empty(plain.Diagnostics);
    }

    [Theory]
    [InlineData("IPaddr::fd00:0:0:0:0:0:0:10/64", "is not an IPv4 address")] // IPaddr is IPv4 only, in 3.0.6 too
    [InlineData("IPv6addr::10.0.0.1/24", "is not an IPv6 address")]
    [InlineData("IPv6addr::fd00::10/129", "prefix length '129' is not 1-128")]
    [InlineData("IPv6addr::fd00::10/64/ens18:web", "take no :label")]
    [InlineData("IPv6addr::fd00::10/64/ens18/x", "too many '/' fields")]
    [InlineData("IPv6addr::ff02::1/64", "is not a unicast address")]
    [InlineData("IPv6addr::fe80::1/64/ens18", "is not a unicast address")]
    public void A_bad_IPv6_vip_is_an_error(string resource, string message)
    {
        var result = Resources(resource);
        Assert.True(result.HasErrors);
        Assert.Contains(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error && d.Message.Contains(message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("IPv6addr::fd00::10", "fd00::10/64 dev ens18")]
    [InlineData("IPv6addr::fd00::10/64/ens18", "fd00::10/64 dev ens18")]
    [InlineData("IPv6addr::2001:db8:0:1::7", "2001:db8:0:1::7/56 dev ens19")] // the longest covering prefix
    [InlineData("IPaddr2::fd00::10/80/ens18", "fd00::10/80 dev ens18")]
    public void An_IPv6_placement_follows_the_connected_route_without_broadcast_or_label(string resource, string expected)
    {
        ConnectedRoute[] routes =
        [
            new("ens18", IPAddress.Parse("fd00::"), 64),
            new("ens19", IPAddress.Parse("2001:db8::"), 56),
            new("ens20", IPAddress.Parse("2001:db8::"), 32),
            new("ens21", IPAddress.Parse("10.0.0.0"), 8), // another family never covers
        ];
        var result = IpPlacementResolver.Resolve(Resources(resource).Value!.Groups[0].Resources[0], routes, []);
        Assert.Null(result.Problem);
        Assert.Equal(expected, result.Placement!.ToString());
    }

    [Fact]
    public void An_IPv6_vip_without_a_covering_route_names_its_own_agent()
    {
        var result = IpPlacementResolver.Resolve(Resources("IPv6addr::fd01::10").Value!.Groups[0].Resources[0], [new("ens18", IPAddress.Parse("fd00::"), 64)], []);
        Assert.Contains("IPv6addr::fd01::10/PREFIX/NIC", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Mcast6_and_ucast6_are_media_with_306s_arguments()
    {
        var result = HaCfParser.Parse("udpport 700\nmcast6 eth0 ff02::694 694 1 0\nucast6 eth1 fd00::2\nucast6 eth1 fe80::2\nnode a b\n"u8, "ha.cf");
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        var media = result.Value!.Media;
        var mcast6 = Assert.IsType<Multicast6Medium>(media[0]);
        Assert.Equal(("eth0", IPAddress.Parse("ff02::694"), 694, 1, false), (mcast6.Interface, mcast6.Group, mcast6.Port, mcast6.Hops, mcast6.Loop));
        Assert.Equal("mcast6 eth0 ff02::694 694 1 0", mcast6.Describe());
        var ucast6 = Assert.IsType<Unicast6Medium>(media[1]);
        Assert.Equal(("eth1", "fd00::2", 700), (ucast6.Interface, ucast6.Peer, ucast6.Port)); // udpport, like ucast
        Assert.Equal(3, media.Length);
        Assert.DoesNotContain(result.Diagnostics, d => d.Message.Contains("not supported", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("mcast6 eth0 ff02::694 694 1", "mcast6 needs 5 arguments")]
    [InlineData("mcast6 eth0 fd00::1 694 1 0", "bad addr [fd00::1]")]
    [InlineData("mcast6 eth0 225.0.0.1 694 1 0", "bad addr [225.0.0.1]")]
    [InlineData("mcast6 eth0 ff02::694 694 5 0", "bad hops [5]")]
    [InlineData("mcast6 eth0 ff02::694 694 1 2", "bad loop [2]")]
    [InlineData("ucast6 eth0", "ucast6 needs an interface and a peer address")]
    [InlineData("ucast6 eth0 10.0.0.2", "bad addr [10.0.0.2]")]
    public void Bad_IPv6_media_are_errors(string line, string message)
    {
        var result = HaCfParser.Parse(Encoding.ASCII.GetBytes($"{line}\nnode a b\n"), "ha.cf");
        Assert.Contains(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error && d.Message.Contains(message, StringComparison.Ordinal));
    }
}
