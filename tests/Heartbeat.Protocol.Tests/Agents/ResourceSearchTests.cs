using System.Collections.Immutable;
using Heartbeat.Protocol.Agents;
using Heartbeat.Protocol.Config;

namespace Heartbeat.Protocol.Tests.Agents;

/// <summary>ResourceManager's search order with the native wrappers in resource.d's place, and check-config's findings.</summary>
public class ResourceSearchTests
{
    [Fact]
    public void A_users_script_wins_then_the_native_wrapper_then_init_d()
    {
        var files = FakeAgentFiles.WithResourceAgents();
        var context = new AgentContext("/usr/lib/ocf", "/etc/ha.d", files);
        Assert.Equal(ScriptSource.NativeWrapper, ResourceSearch.Resolve("Filesystem", context).Source);
        Assert.Equal(ScriptSource.None, ResourceSearch.Resolve("mysql", context).Source);

        files.Executables.Add("/etc/init.d/mysql");
        Assert.Equal(new ResolvedScript(ScriptSource.InitDirectory, "/etc/init.d/mysql", null), ResourceSearch.Resolve("mysql", context));

        files.Executables.Add("/etc/ha.d/resource.d/Filesystem");
        files.Hashes["/etc/ha.d/resource.d/Filesystem"] = "00";
        Assert.Equal(ScriptSource.ResourceDirectory, ResourceSearch.Resolve("Filesystem", context).Source);

        // A byte-identical copy of Debian's wrapper is that wrapper: run natively.
        files.Hashes["/etc/ha.d/resource.d/Filesystem"] = ResourceWrappers.Find("Filesystem")!.StockSha256;
        Assert.Equal(ScriptSource.NativeWrapper, ResourceSearch.Resolve("Filesystem", context).Source);

        files.Executables.Add("/etc/ha.d/resource.d/drbddisk");
        Assert.Equal(ScriptSource.ResourceDirectory, ResourceSearch.Resolve("drbddisk", context).Source);
    }

    [Fact]
    public void Check_config_names_the_line_and_why_it_would_fail()
    {
        var files = FakeAgentFiles.WithResourceAgents();
        files.Executables.Remove("/usr/lib/ocf/resource.d/heartbeat/LVM");
        var context = new AgentContext("/usr/lib/ocf", "/etc/ha.d", files);
        var resources = new HaResources(
        [
            Group(3, "Filesystem::/dev/sdb1"),
            Group(4, "LVM::vg0"),
            Group(5, "mysql"),
            Group(6, "Delay::1", "MailTo::ops@example.com::db"),
        ]);

        var found = ResourceChecks.Check(resources, "haresources", context, hostChecks: true).ToArray();

        Assert.Equal(3, found.Length);
        Assert.Equal((3, DiagnosticSeverity.Error), (found[0].Line, found[0].Severity));
        Assert.Contains("Filesystem takes 2 to 4 argument(s)", found[0].Message, StringComparison.Ordinal);
        Assert.Contains("not 1", found[0].Message, StringComparison.Ordinal);
        Assert.Equal(4, found[1].Line);
        Assert.Contains("the OCF agent /usr/lib/ocf/resource.d/heartbeat/LVM is missing", found[1].Message, StringComparison.Ordinal);
        Assert.Equal(5, found[2].Line);
        Assert.Contains("unknown resource 'mysql'", found[2].Message, StringComparison.Ordinal);

        // For another machine's directory only the argument counts are checked.
        Assert.Single(ResourceChecks.Check(resources, "haresources", context, hostChecks: false));
    }

    private static ResourceGroupSpec Group(int line, params string[] resources) =>
        new("node1", [.. resources.Select(r => new ResourceSpec(r, r.Split("::")[0], [.. r.Split("::").Skip(1)], false, null))], line);
}
