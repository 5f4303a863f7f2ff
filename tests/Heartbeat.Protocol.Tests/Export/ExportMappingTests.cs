using System.Collections.Immutable;
using System.Text;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Export;
using Heartbeat.Protocol.Tests.Support;

namespace Heartbeat.Protocol.Tests.Export;

/// <summary>What each ha.cf and haresources construct becomes in Pacemaker and Corosync, and what cannot be converted.</summary>
public sealed class ExportMappingTests
{
    private const string HaCf = "keepalive 1\ndeadtime 10\nbcast eth0\nauto_failback on\nnode alice bob\n";

    [Fact]
    public void TheArticlesGroupIsOneIPaddr2AtHomeOnServer1ThatFailsBack()
    {
        var export = ExportCases.Export("article");
        var group = Assert.Single(export.Pacemaker.Groups);
        var ip = Assert.Single(group.Members);
        Assert.Equal("ocf:heartbeat:IPaddr2", ip.Agent);
        Assert.Equal([new NameValue("ip", "10.10.10.1")], ip.Parameters.ToArray());
        var home = Assert.IsType<LocationPreference>(Assert.Single(export.Pacemaker.Constraints));
        Assert.Equal((group.Id, "server1", PacemakerExporter.HomeScore), (home.Resource, home.Node, home.Score));

        // auto_failback legacy (the default) fails back, as LegacyResourcePlanner does.
        Assert.Equal("0", Value(export.Pacemaker.ResourceDefaults, "resource-stickiness"));
        Assert.Equal("false", Value(export.Pacemaker.Properties, "stonith-enabled"));
        Assert.Equal([1, 2], export.Pacemaker.Nodes.Select(n => n.Id));

        var corosync = export.Corosync;
        Assert.Equal(4545, corosync.TokenMilliseconds); // + consensus (1.2 × token) = deadtime 10 s
        Assert.True(corosync.TwoNode);
        Assert.True(corosync.Crypto); // md5 authkeys: corosync gets crypto with its own key
        var link = Assert.Single(corosync.Links);
        Assert.Equal("ens18", link.Interface);
        Assert.Equal(3, link.Comments.Count(c => c.StartsWith("ha.cf:", StringComparison.Ordinal))); // bcast, mcast, ucast each named
        Assert.Equal(["server1"], corosync.Nodes[0].Addresses.ToArray());
        Assert.Equal("local0", corosync.SyslogFacility);
    }

    [Fact]
    public void DrbdBecomesAPromotableCloneTheGroupFollows()
    {
        var export = ExportCases.Export("drbd");
        var clone = Assert.Single(export.Pacemaker.Clones);
        Assert.True(clone.Promotable);
        Assert.Equal("ocf:linbit:drbd", clone.Primitive.Agent);
        Assert.Equal([new NameValue("drbd_resource", "r0")], clone.Primitive.Parameters.ToArray());
        var group = Assert.Single(export.Pacemaker.Groups);
        Assert.Equal(["ocf:heartbeat:Filesystem", "ocf:heartbeat:IPaddr2", "lsb:mysql"], group.Members.Select(m => m.Agent));
        Assert.Equal(
            [new NameValue("device", "/dev/drbd0"), new NameValue("directory", "/var/lib/mysql"), new NameValue("fstype", "ext4")],
            group.Members[0].Parameters.ToArray());
        Assert.Equal([new NameValue("ip", "192.168.1.100"), new NameValue("cidr_netmask", "24"), new NameValue("nic", "eth0")], group.Members[1].Parameters.ToArray());
        var colocation = Assert.Single(export.Pacemaker.Constraints.OfType<Colocation>());
        Assert.Equal((group.Id, clone.Id, "Promoted", "INFINITY"), (colocation.Resource, colocation.WithResource, colocation.WithRole, colocation.Score));
        var order = Assert.Single(export.Pacemaker.Constraints.OfType<Ordering>());
        Assert.Equal((clone.Id, "promote", group.Id, "start"), (order.First, order.FirstAction, order.Then, order.ThenAction));
        var promotion = Assert.Single(export.Pacemaker.Constraints.OfType<LocationRule>());
        Assert.Equal(("Promoted", new RuleTest("#uname", "eq", "alice")), (promotion.Role, Assert.Single(promotion.Tests)));

        // auto_failback off: stays where it runs.
        Assert.Equal("INFINITY", Value(export.Pacemaker.ResourceDefaults, "resource-stickiness"));

        // Two interfaces with media, two links, each node's addresses from --node-address.
        Assert.Equal(["eth0", "eth1"], export.Corosync.Links.Select(l => l.Interface));
        Assert.Equal(["192.168.1.10", "10.0.0.1"], export.Corosync.Nodes[0].Addresses.ToArray());
        Assert.Equal(6818, export.Corosync.TokenMilliseconds);
    }

    [Fact]
    public void TwoGroupsHaveTheirOwnHomesAndIPaddrArgumentsMapAsTheWrapperMapsThem()
    {
        var export = ExportCases.Export("two-groups");
        Assert.Equal(2, export.Pacemaker.Groups.Length);
        Assert.Equal(
            [("web1", export.Pacemaker.Groups[0].Id), ("web2", export.Pacemaker.Groups[1].Id)],
            export.Pacemaker.Constraints.OfType<LocationPreference>().Select(l => (l.Node, l.Resource)));
        Assert.Equal(["ocf:heartbeat:IPaddr2", "lsb:apache2"], export.Pacemaker.Groups[0].Members.Select(m => m.Agent));
        var ip = export.Pacemaker.Groups[1].Members[0];
        Assert.Equal([new("ip", "192.168.10.51"), new("cidr_netmask", "24"), new("nic", "eth0"), new NameValue("iflabel", "nfs")], ip.Parameters.ToArray());
        Assert.Equal("noatime", Value(export.Pacemaker.Groups[1].Members[1].Parameters, "options"));
        Assert.Contains(Assert.Single(export.Corosync.Links).Comments, c => c.Contains("knet has no multicast", StringComparison.Ordinal));
    }

    [Fact]
    public void PingNodesBecomeAPingCloneAndARuleThatKeepsGroupsOffUnreachableNodes()
    {
        var export = ExportCases.Export("ping");
        var clone = Assert.Single(export.Pacemaker.Clones);
        Assert.False(clone.Promotable);
        Assert.Equal("ocf:pacemaker:ping", clone.Primitive.Agent);
        Assert.Equal("192.168.1.1 192.168.1.2 192.168.1.3", Value(clone.Primitive.Parameters, "host_list"));
        Assert.Contains(clone.Primitive.Comments, c => c.Contains("ping_group", StringComparison.Ordinal) && c.StartsWith("NOT EQUIVALENT", StringComparison.Ordinal));
        Assert.Contains(clone.Primitive.Comments, c => c.Contains("deadping", StringComparison.Ordinal));
        var rule = Assert.Single(export.Pacemaker.Constraints.OfType<LocationRule>());
        Assert.Equal(("-INFINITY", true), (rule.Score, rule.AnyOf));
        Assert.Equal([new RuleTest("pingd", "not_defined"), new RuleTest("pingd", "lte", "0")], rule.Tests.ToArray());
        Assert.Contains(export.Pacemaker.Header, h => h.Contains("ipfail is replaced", StringComparison.Ordinal));
        Assert.Contains(export.Pacemaker.Header, h => h.Contains("apiauth", StringComparison.Ordinal));
    }

    [Fact]
    public void StonithHostBecomesFenceDevicesThatAvoidTheirTargetAndTheRestIsNamed()
    {
        var export = ExportCases.Export("stonith");
        Assert.Equal(["fence_node2", "fence_node1"], export.Pacemaker.FenceDevices.Select(d => d.Id));
        var device = export.Pacemaker.FenceDevices[0];
        Assert.Equal("stonith:fence_ipmilan", device.Agent);
        Assert.Equal([new("pcmk_host_list", "node2"), new("ip", "10.20.1.12"), new("username", "admin"), new("password", "s3cret"), new NameValue("lanplus", "1")], device.Parameters.ToArray());
        Assert.Contains(export.Pacemaker.Constraints.OfType<LocationPreference>(), l => l.Resource == "fence_node2" && l.Node == "node2" && l.Score == "-INFINITY");
        var stonith = export.Pacemaker.Properties.Single(p => p.Name == "stonith-enabled");
        Assert.Equal("true", stonith.Value);
        Assert.Contains("meatware", stonith.Comment, StringComparison.Ordinal); // the plugin with no fence agent is named
    }

    [Fact]
    public void NoOutputFormCarriesTheAuthkeysSecret()
    {
        foreach (string name in ExportCases.Names)
        {
            string secret = name == "article" ? Encoding.ASCII.GetString(ExportCases.Files(name).AuthKeys!).Split(' ')[^1].Trim() : "example-only-not-a-real-secret";
            var export = ExportCases.Export(name);
            foreach (string text in new[] { CibWriter.Write(export.Pacemaker), PcsWriter.Write(export.Pacemaker), CrmshWriter.Write(export.Pacemaker), CorosyncConfWriter.Write(export.Corosync) })
            {
                Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData("alice drbddisk 10.0.0.9", 1, "drbddisk without a resource name")]
    [InlineData("# comment\nalice OCF::apache::web1", 2, "the OCF wrapper reads the agent's parameters")]
    [InlineData("alice 10.0.0.9 Filesystem::/dev/sdb1", 1, "does not match Filesystem::device::directory")]
    [InlineData("alice portblock::tcp::80", 1, "does not match portblock")]
    public void InputThatCannotBeConvertedIsAnErrorAtItsLine(string haresources, int line, string message)
    {
        var result = PacemakerExporter.Convert(Files(HaCf, haresources));
        Assert.Null(result.Value);
        var error = Assert.Single(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(("/etc/ha.d/haresources", line), (error.File, error.Line));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnInitScriptWithArgumentsIsConvertedWithAWarningAndTheArgumentsNamed()
    {
        var result = PacemakerExporter.Convert(Files(HaCf, "alice 10.0.0.9 myapp::prod"));
        var member = result.Value!.Pacemaker.Groups[0].Members[1];
        Assert.Equal("lsb:myapp", member.Agent);
        Assert.Contains(member.Comments, c => c.StartsWith("NOT EQUIVALENT", StringComparison.Ordinal) && c.Contains("'prod'", StringComparison.Ordinal));
        Assert.Contains(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Warning && d.Line == 1);
    }

    [Fact]
    public void AnIPv6AddressSplitOnItsDoubleColonsIsJoinedBack()
    {
        var result = PacemakerExporter.Convert(Files(HaCf, "alice IPv6addr::2001:db8::10/64/eth0"));
        var ip = Assert.Single(result.Value!.Pacemaker.Groups[0].Members);
        Assert.Equal([new("ipv6addr", "2001:db8::10"), new("cidr_netmask", "64"), new NameValue("nic", "eth0")], ip.Parameters.ToArray());
    }

    [Fact]
    public void NodeAddressesMustCoverEveryNodeAndNameOnlyHaCfNodes()
    {
        var files = Files(HaCf, "alice 10.0.0.9");
        var missing = PacemakerExporter.Convert(files, new Dictionary<string, ImmutableArray<string>> { ["alice"] = ["10.0.0.1"] });
        Assert.Contains(missing.Diagnostics, d => d.Severity == DiagnosticSeverity.Error && d.Message.Contains("same number of addresses", StringComparison.Ordinal));
        var stranger = PacemakerExporter.Convert(files, new Dictionary<string, ImmutableArray<string>> { ["alice"] = ["10.0.0.1"], ["bob"] = ["10.0.0.2"], ["carol"] = ["10.0.0.3"] });
        Assert.Contains(stranger.Diagnostics, d => d.Severity == DiagnosticSeverity.Error && d.Message.Contains("carol", StringComparison.Ordinal));
        var tooMany = PacemakerExporter.Convert(files, new Dictionary<string, ImmutableArray<string>> { ["alice"] = ["10.0.0.1", "10.1.0.1"], ["bob"] = ["10.0.0.2", "10.1.0.2"] });
        Assert.Contains(tooMany.Diagnostics, d => d.Severity == DiagnosticSeverity.Error && d.Message.Contains("1 interface", StringComparison.Ordinal));
    }

    [Fact]
    public void AnInterfaceWithoutAddressesIsNamedNotDropped()
    {
        var result = PacemakerExporter.Convert(Files(HaCf + "bcast eth1\n", "alice 10.0.0.9"));
        Assert.Single(result.Value!.Corosync.Links);
        Assert.Contains(result.Value.Corosync.Header, h => h.StartsWith("NOT CONVERTED", StringComparison.Ordinal) && h.Contains("eth1", StringComparison.Ordinal));
    }

    [Fact]
    public void AConfigWithErrorsExportsNothingAndReportsOnlyItsErrors()
    {
        var result = PacemakerExporter.Convert(Files("deadtime 10\nbcast eth0\nnode alice bob\nbogus 1\n", "alice 10.0.0.9"));
        Assert.Null(result.Value);
        Assert.All(result.Diagnostics, d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));
        Assert.Contains(result.Diagnostics, d => d.Line == 4 && d.Message.Contains("Illegal directive", StringComparison.Ordinal));
    }

    private static string Value(IEnumerable<NameValue> values, string name) => values.Single(v => v.Name == name).Value;

    private static ConfigFiles Files(string haCf, string haresources) =>
        new("/etc/ha.d", Encoding.ASCII.GetBytes(haCf), "auth 1\n1 sha1 example-only\n"u8.ToArray(), UnixFileMode.UserRead | UnixFileMode.UserWrite, Encoding.ASCII.GetBytes(haresources + "\n"));
}
