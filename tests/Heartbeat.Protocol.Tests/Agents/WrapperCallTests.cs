using Heartbeat.Protocol.Agents;

namespace Heartbeat.Protocol.Tests.Agents;

/// <summary>The environment each wrapper builds for sample haresources lines, and the text it prints.</summary>
public class WrapperCallTests
{
    private static readonly AgentContext Context = new("/usr/lib/ocf", "/etc/ha.d", FakeAgentFiles.WithResourceAgents());

    private static AgentCall Call(string resource, string action = "start", AgentContext? context = null)
    {
        string[] parts = resource.Split("::");
        var built = WrapperCalls.Build(ResourceWrappers.Find(parts[0])!, parts[1..], action, context ?? Context);
        Assert.Null(built.Refusal);
        return built.Call!;
    }

    private static Dictionary<string, string> Keys(AgentCall call) =>
        call.Environment.Where(p => p.Key.StartsWith("OCF_RESKEY_", StringComparison.Ordinal)).ToDictionary(p => p.Key["OCF_RESKEY_".Length..], p => p.Value);

    [Fact]
    public void Filesystem_maps_device_directory_fstype_and_names_the_instance_after_the_device()
    {
        var call = Call("Filesystem::/dev/drbd0::/data::ext4");

        Assert.Equal("/usr/lib/ocf/resource.d/heartbeat/Filesystem", call.AgentPath);
        Assert.Equal("start", call.AgentAction);
        Assert.Equal(new Dictionary<string, string> { ["device"] = "/dev/drbd0", ["directory"] = "/data", ["fstype"] = "ext4" }, Keys(call));
        Assert.Equal("Filesystem_/dev/drbd0", call.Environment["OCF_RESOURCE_INSTANCE"]);
        Assert.Equal("Filesystem", call.Environment["OCF_TYPE"]);
        Assert.Equal("/usr/lib/ocf", call.Environment["OCF_ROOT"]);
        Assert.Equal("/usr/lib/ocf/resource.d/heartbeat/", call.Environment["OCF_AGENTS"]);
        Assert.Equal("1", call.Environment["OCF_RA_VERSION_MAJOR"]);
        Assert.Equal("0", call.Environment["OCF_RA_VERSION_MINOR"]);
    }

    [Fact]
    public void Status_becomes_monitor() => Assert.Equal("monitor", Call("Delay::1", "status").AgentAction);

    [Fact]
    public void Delay_without_arguments_names_the_instance_Delay_10_but_exports_no_startdelay()
    {
        var call = Call("Delay");
        Assert.Empty(Keys(call));
        Assert.Equal("Delay_10", call.Environment["OCF_RESOURCE_INSTANCE"]);
        Assert.Equal(new Dictionary<string, string> { ["startdelay"] = "3", ["stopdelay"] = "2" }, Keys(Call("Delay::3::2")));
    }

    [Fact]
    public void MailTo_WinPopup_apache_portblock_and_AudibleAlarm()
    {
        Assert.Equal(new Dictionary<string, string> { ["email"] = "ops@example.com", ["subject"] = "db" }, Keys(Call("MailTo::ops@example.com::db")));
        Assert.Equal("MailTo", Call("MailTo::ops@example.com").Environment["OCF_RESOURCE_INSTANCE"]);
        Assert.Equal(new Dictionary<string, string> { ["hostfile"] = "hosts" }, Keys(Call("WinPopup")));
        Assert.Equal("apache_", Call("apache").Environment["OCF_RESOURCE_INSTANCE"]);
        Assert.Equal("apache_/etc/apache2/apache2.conf", Call("apache::/etc/apache2/apache2.conf").Environment["OCF_RESOURCE_INSTANCE"]);
        Assert.Equal("portblock_tcp_80,443_block", Call("portblock::tcp::80,443::block").Environment["OCF_RESOURCE_INSTANCE"]);
        Assert.Equal("node1 node2 ", Keys(Call("AudibleAlarm::node1::node2"))["nodelist"]);
    }

    [Theory]
    [InlineData("IPaddr::10.0.0.10", "ip=10.0.0.10 lvs_support=0", "IPaddr_10.0.0.10")]
    [InlineData("IPaddr2::10.0.0.10/24/eth0", "broadcast= cidr_netmask=24 ip=10.0.0.10 lvs_support=1 nic=eth0", "IPaddr2_10.0.0.10")]
    [InlineData("IPaddr2::10.0.0.10/24/eth0:1/10.0.0.255", "broadcast=10.0.0.255 cidr_netmask=24 ip=10.0.0.10 lvs_support=1 nic=eth0:1", "IPaddr2_10.0.0.10")]
    [InlineData("IPaddr::10.0.0.10/24/10.0.0.255", "broadcast=10.0.0.255 cidr_netmask=24 ip=10.0.0.10 lvs_support=0", "IPaddr_10.0.0.10")]
    [InlineData("IPv6addr::fd00:0:0:0:0:0:0:10/64/ens18", "cidr_netmask=64 ipv6addr=fd00:0:0:0:0:0:0:10 nic=ens18", "IPv6addr_fd00:0:0:0:0:0:0:10/64/ens18")]
    [InlineData("SendArp::10.0.0.10/eth0", "ip=10.0.0.10 nic=eth0", "SendArp_10.0.0.10")]
    [InlineData("SendArp::10.0.0.10", "ip=10.0.0.10 nic=10.0.0.10", "SendArp_10.0.0.10")] // no '/': the "interface" is the address
    [InlineData("ids::/opt/informix::ol1::onconfig.ol1", "informixdir=/opt/informix informixserver=ol1 onconfig=onconfig.ol1", "ids_ol1")]
    public void Address_wrappers_split_their_argument_as_the_shell_does(string resource, string keys, string instance)
    {
        var call = Call(resource);
        Assert.Equal(keys, string.Join(' ', Keys(call).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")));
        Assert.Equal(instance, call.Environment["OCF_RESOURCE_INSTANCE"]);
    }

    [Fact]
    public void WAS_takes_an_existing_file_as_config_and_digits_as_a_port()
    {
        var files = FakeAgentFiles.WithResourceAgents();
        files.Texts["/etc/was.conf"] = "x";
        var context = Context with { Files = files };
        Assert.Equal("/etc/was.conf", Keys(Call("WAS::/etc/was.conf", context: context))["config"]);
        Assert.Equal("9080", Keys(Call("WAS::9080", context: context))["port"]);
        Assert.Contains("neither a WAS configuration file nor a valid port number", WrapperCalls.Build(ResourceWrappers.Find("WAS")!, ["nope"], "start", context).Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_argument_count_or_a_missing_agent_is_refused_without_running_anything()
    {
        var usage = WrapperCalls.Build(ResourceWrappers.Find("Filesystem")!, ["/dev/sdb1"], "start", Context);
        Assert.Null(usage.Call);
        Assert.StartsWith("usage: Filesystem <device> <directory>", usage.Refusal, StringComparison.Ordinal);

        var missing = WrapperCalls.Build(ResourceWrappers.Find("Filesystem")!, ["/dev/sdb1", "/data"], "start", Context with { Files = new FakeAgentFiles() });
        Assert.Equal("ERROR: /usr/lib/ocf/resource.d/heartbeat/Filesystem is not an executable file ", missing.Refusal);
    }

    [Fact]
    public void The_generic_OCF_wrapper_reads_the_instance_file_and_keeps_status()
    {
        var files = FakeAgentFiles.WithResourceAgents();
        files.ProviderNames.Add("pacemaker");
        files.Texts["/etc/ha.d/conf/OCF/Dummy/d1"] = "# test\n  OCF_RESKEY_state=\"/run/d1.state\"\nOCF_RESKEY_fake=x # trailing\n";
        var built = WrapperCalls.Build(ResourceWrappers.Find("OCF")!, ["Dummy", "d1"], "status", Context with { Files = files });

        Assert.Equal("/usr/lib/ocf/resource.d/heartbeat/Dummy", built.Call!.AgentPath);
        Assert.Equal("status", built.Call.AgentAction);
        Assert.Equal("/run/d1.state", built.Call.Environment["OCF_RESKEY_state"]);
        Assert.Equal("x", built.Call.Environment["OCF_RESKEY_fake"]);
        Assert.Equal("0", built.Call.Environment["OCF_STATUS_QOS"]);
        Assert.Equal("d1", built.Call.Environment["OCF_RESOURCE_INSTANCE"]);
        Assert.NotNull(WrapperCalls.Build(ResourceWrappers.Find("OCF")!, ["Dummy", "nofile"], "start", Context with { Files = files }).Refusal);
    }

    [Theory]
    [InlineData("monitor", 0, "INFO:  Running OK", 0)]
    [InlineData("start", 0, "INFO:  Success", 0)]
    [InlineData("monitor", 7, "INFO:  Resource is stopped", 7)]
    [InlineData("start", 1, "ERROR:  Generic error", 1)]
    [InlineData("start", 5, "ERROR:  Program is not installed", 5)]
    [InlineData("monitor", 8, "ERROR:  Unknown error: 8", 1)]
    public void The_status_text_is_hto_mapfuncs(string action, int agentExit, string text, int exit)
    {
        Assert.Equal(new WrapperResult(text, exit), WrapperStatus.Mapped(action, agentExit));
    }

    [Fact]
    public void The_wrappers_status_text_reads_as_3_0_6_reads_it()
    {
        Assert.True(Heartbeat.Protocol.Resources.ScriptStatus.IsRunning(WrapperStatus.Mapped("monitor", 0).Text));
        Assert.False(Heartbeat.Protocol.Resources.ScriptStatus.IsRunning(WrapperStatus.Mapped("monitor", 7).Text));
        Assert.False(Heartbeat.Protocol.Resources.ScriptStatus.IsRunning(WrapperStatus.Mapped("monitor", 1).Text));
        Assert.Equal(new WrapperResult("OCF Resource Dummy::d1 is running", 0), WrapperStatus.Generic("status", "Dummy", "d1", "", 0));
        Assert.Equal(new WrapperResult("OCF Resource Dummy::d1 is stopped", 7), WrapperStatus.Generic("status", "Dummy", "d1", "Dummy is running\n", 7));
    }
}
