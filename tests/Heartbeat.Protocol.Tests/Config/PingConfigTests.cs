using Heartbeat.Protocol.Config;

namespace Heartbeat.Protocol.Tests.Config;

/// <summary>ping, ping6, ping_group and deadping as 3.0.6 reads them.</summary>
public class PingConfigTests
{
    private const string Tail = "bcast eth0\nnode server1 server2\n";

    private static ParseResult<HaCf> Parse(string text) => HaCfParser.Parse(System.Text.Encoding.ASCII.GetBytes(text + Tail), "ha.cf");

    [Fact]
    public void Each_host_is_a_ping_node_and_a_group_is_one()
    {
        var result = Parse("ping 10.0.0.254 GW.example.com\nping6 fd00::fe\nping_group Routers 10.0.0.1 10.0.0.2\n");
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        Assert.Empty(result.Diagnostics.Where(d => d.Line is >= 1 and <= 3));
        var haCf = result.Value!;
        Assert.Equal(
            [("10.0.0.254", PingKind.Ping, "10.0.0.254"), ("gw.example.com", PingKind.Ping, "GW.example.com"), ("fd00::fe", PingKind.Ping6, "fd00::fe"), ("routers", PingKind.PingGroup, "10.0.0.1 10.0.0.2")],
            haCf.PingNodes.Select(p => (p.Name, p.Kind, string.Join(' ', p.Hosts))));
        Assert.Equal("ping_group Routers 10.0.0.1 10.0.0.2", haCf.PingNodes[3].Describe());

        // 3.0.6 counts ping nodes in its node count, so in the ttl field.
        Assert.Equal(1 + 2 + 4, haCf.MessageTtl);

        // deadping defaults to deadtime.
        Assert.Equal(haCf.Deadtime, haCf.Deadping);
    }

    [Fact]
    public void A_ping_node_declared_twice_is_reported_and_kept_once()
    {
        // Two entries of one name would be two series of one metric and two table rows 3.0.6 never tells apart.
        var result = Parse("ping 10.0.0.254\nping 10.0.0.254\nping_group 10.0.0.254 10.0.0.1\n");
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        Assert.Equal(["10.0.0.254"], result.Value!.PingNodes.Select(p => p.Name));
        Assert.Equal(
            [2, 3],
            result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Warning && d.Message.Contains("already declared on line 1", StringComparison.Ordinal)).Select(d => d.Line));
    }

    [Theory]
    [InlineData("ping fd00::fe\n", "ping: 'fd00::fe' is not an IPv4 address")]
    [InlineData("ping6 10.0.0.1\n", "ping6: '10.0.0.1' is not an IPv6 address")]
    [InlineData("ping bad_host!\n", "ping: unknown host: bad_host!")]
    [InlineData("ping_group gateways\n", "ping_group needs a name and at least one host")]
    [InlineData("ping_group gateways 10.0.0.1 fd00::1\n", "ping_group: 'fd00::1' is not an IPv4 address")]
    [InlineData("keepalive 2\ndeadtime 10\ndeadping 4\n", "Ping dead time [4000] is too small compared to keepalive [2000]")]
    public void Bad_values_are_errors(string lines, string message)
    {
        var result = Parse(lines);
        Assert.True(result.HasErrors);
        Assert.Contains(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error && d.Message == message);
    }

    [Fact]
    public void Apiauth_for_ipfail_is_accepted_and_its_respawn_line_enables_the_built_in_ipfail()
    {
        var result = Parse("apiauth ipfail gid=haclient uid=hacluster\nrespawn hacluster /usr/lib/heartbeat/ipfail\nauto_failback on\n");
        Assert.False(result.HasErrors);
        Assert.DoesNotContain(result.Diagnostics, d => d.Line is 1 or 2);
        Assert.True(result.Value!.IpfailRequested);
    }
}
