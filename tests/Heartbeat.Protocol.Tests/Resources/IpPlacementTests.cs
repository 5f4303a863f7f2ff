using System.Net;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Resources;

namespace Heartbeat.Protocol.Tests.Resources;

public class IpPlacementTests
{
    private static readonly ConnectedRoute[] Routes =
    [
        new("ens18", IPAddress.Parse("10.10.10.0"), 24),
        new("ens19", IPAddress.Parse("192.168.0.0"), 24),
        new("ens20", IPAddress.Parse("10.10.0.0"), 16),
    ];

    [Theory]
    [InlineData("10.10.10.1", "10.10.10.1/24 dev ens18 brd 10.10.10.255 label ens18:0")] // the article's line, NIC ens18
    [InlineData("IPaddr::10.10.10.1", "10.10.10.1/24 dev ens18 brd 10.10.10.255 label ens18:0")]
    [InlineData("IPaddr::10.10.10.1/24/ens18", "10.10.10.1/24 dev ens18 brd 10.10.10.255 label ens18:0")]
    [InlineData("IPaddr2::10.10.10.1", "10.10.10.1/24 dev ens18 brd 10.10.10.255")]
    [InlineData("IPaddr2::10.10.10.1/24/ens18", "10.10.10.1/24 dev ens18 brd 10.10.10.255")]
    [InlineData("IPaddr2::10.10.10.1/25/ens18:web", "10.10.10.1/25 dev ens18 brd 10.10.10.127 label ens18:web")]
    [InlineData("IPaddr2::10.10.10.1/24/ens18/10.10.10.254", "10.10.10.1/24 dev ens18 brd 10.10.10.254")]
    [InlineData("IPaddr2::10.10.20.5", "10.10.20.5/16 dev ens20 brd 10.10.255.255")] // only the /16 covers it
    [InlineData("IPaddr2::10.10.10.9/32/ens18", "10.10.10.9/32 dev ens18")] // no broadcast for a /32
    [InlineData("IPaddr2::192.168.0.50", "192.168.0.50/24 dev ens19 brd 192.168.0.255")]
    public void Placement_follows_the_connected_route(string resource, string expected)
    {
        var result = IpPlacementResolver.Resolve(Parse(resource), Routes, ["ens18:web2"]);
        Assert.Null(result.Problem);
        Assert.Equal(expected, result.Placement!.ToString());
    }

    [Fact]
    public void Ip_aliases_take_the_first_free_number()
    {
        var result = IpPlacementResolver.Resolve(Parse("10.10.10.7"), Routes, ["ens18:0", "ens18:1"]);
        Assert.Equal("ens18:2", result.Placement!.Label);
    }

    [Theory]
    [InlineData("IPaddr2::172.16.0.1", "no interface has a connected network that covers 172.16.0.1")]
    [InlineData("IPaddr2::172.16.0.1/24/ens18", null)] // prefix and NIC given: no route needed
    [InlineData("IPaddr2::172.16.0.1//ens18", "ens18 has no connected network that covers 172.16.0.1")]
    [InlineData("IPaddr2::10.10.10.1/24/ens18:averyveryverylonglabel", "longer than the kernel's 15 characters")]
    public void Unplaceable_addresses_say_why(string resource, string? problem)
    {
        var result = IpPlacementResolver.Resolve(Parse(resource), Routes, []);
        if (problem is null)
        {
            Assert.NotNull(result.Placement);
        }
        else
        {
            Assert.Contains(problem, result.Problem, StringComparison.Ordinal);
        }
    }

    private static ResourceSpec Parse(string resource)
    {
        var parsed = HaResourcesParser.Parse(System.Text.Encoding.ASCII.GetBytes($"server1 {resource}\n"), "haresources", ["server1"]);
        return Assert.Single(Assert.Single(parsed.Value!.Groups).Resources);
    }
}

public class ScriptStatusTests
{
    // behaviour.md §9, verified on 3.0.6.
    [Theory]
    [InlineData("a is running", true)]
    [InlineData("Running", true)]
    [InlineData("OK", true)]
    [InlineData("a is not running", false)]
    [InlineData("NOT Running", false)]
    [InlineData("is stopped", false)]
    [InlineData("status ok", false)]
    [InlineData("unknown", false)]
    [InlineData("not-running", true)]
    [InlineData("", false)]
    [InlineData("line one\nservice is not running\n", false)]
    [InlineData("service is not\nrunning", true)] // the pattern needs a blank after "not"
    public void Status_output_is_read_like_ResourceManager_reads_it(string stdout, bool running) =>
        Assert.Equal(running, ScriptStatus.IsRunning(stdout));
}

public class ScriptEnvironmentTests
{
    [Fact]
    public void Every_directive_is_exported_as_written_and_the_last_repeat_wins()
    {
        var env = ScriptEnvironment.FromHaCf("keepalive 2 # seconds\ndeadtime\t10\n#warntime 5\nnode server1\nnode server2\nudpport 694\n\nucast ens18 10.10.10.3\n"u8);
        Assert.Equal("2", env["HA_keepalive"]);
        Assert.Equal("10", env["HA_deadtime"]);
        Assert.False(env.ContainsKey("HA_warntime"));
        Assert.Equal("server2", env["HA_node"]);
        Assert.Equal("ens18 10.10.10.3", env["HA_ucast"]);
    }
}

public class RcHookTests
{
    [Fact]
    public void The_environment_has_every_string_field_and_the_node_facts()
    {
        var message = new Heartbeat.Protocol.Wire.HaMessage([
            Heartbeat.Protocol.Wire.HaField.String("t", "ip-request"),
            Heartbeat.Protocol.Wire.HaField.String("src", "server1"),
            Heartbeat.Protocol.Wire.HaField.String("ipaddr", "10.10.10.1"),
            Heartbeat.Protocol.Wire.HaField.String("bad name", "x"),
        ]);
        var environment = RcHooks.Environment(message, "server2", "active", niceFailback: true);
        Assert.Equal("ip-request", environment["HA_t"]);
        Assert.Equal("server1", environment["HA_src"]);
        Assert.Equal("10.10.10.1", environment["HA_ipaddr"]);
        Assert.Equal("server2", environment["HA_CURHOST"]);
        Assert.Equal("active", environment["HA_OSTATUS"]);
        Assert.Equal("yes", environment["HA_NICEFAILBACK"]);
        Assert.False(environment.ContainsKey("HA_bad name"));
        Assert.False(RcHooks.Environment(message, "server2", null, niceFailback: false).ContainsKey("HA_NICEFAILBACK"));
    }

    [Theory]
    [InlineData("status", true)]
    [InlineData("ip-request-resp", true)]
    [InlineData("my_hook.sh", true)]
    [InlineData("../etc/passwd", false)]
    [InlineData(".hidden", false)]
    [InlineData("", false)]
    [InlineData("a b", false)]
    public void Only_plain_names_can_be_hooks(string type, bool ok) => Assert.Equal(ok, RcHooks.IsHookName(type));

    [Fact]
    public void The_stock_hooks_of_debians_heartbeat_package_are_recognised_and_an_edited_one_is_not()
    {
        // .ci/run installs heartbeat 3.0.6, whose /etc/ha.d/rc.d holds the stock hooks.
        foreach (string name in RcHooks.StockHooks.Keys)
        {
            byte[] content = File.ReadAllBytes(Path.Join("/etc/ha.d/rc.d", name));
            Assert.True(RcHooks.IsStock(name, content), name);
            Assert.False(RcHooks.IsStock(name, [.. content, (byte)'\n']), name + " edited");
        }

        Assert.False(RcHooks.IsStock("custom", "#!/bin/sh\n"u8));
    }
}
