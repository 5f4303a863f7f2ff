using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// rc.d hooks as installations use them under 3.0.6: a site's own <c>status</c> hook sees peers come and die,
/// <c>local_giveip</c> runs before a group is given up at a peer's request, and the stock hooks (whose work we do
/// natively) are not run.
/// </summary>
public class RcHookTests(ITestOutputHelper output) : FailoverScenario(output)
{
    [Fact]
    public async Task Site_hooks_run_with_3_0_6s_environment_and_stock_hooks_do_not()
    {
        await using var lab = NewLab("rc.d hooks", "legacy");
        var nodes = Declare(lab, Pairing.OursAndOurs);
        var (s1, s2) = (nodes[0], nodes[1]);
        string rcd = Path.Join(s2.Directory, "etc", "rc.d");
        string trace = Path.Join(s2.Directory, "hooks.trace");
        Directory.CreateDirectory(rcd);
        Hook(rcd, "status", $"echo \"status $1 src=$HA_src st=$HA_st was=$HA_OSTATUS on=$HA_CURHOST\" >> {trace}");
        Hook(rcd, "local_giveip", $"echo \"local_giveip $1 ipaddr=$HA_ipaddr src=$HA_src\" >> {trace}");
        File.Copy("/etc/ha.d/rc.d/ip-request", Path.Join(rcd, "ip-request"));
        File.SetUnixFileMode(Path.Join(rcd, "ip-request"), (UnixFileMode)0b111_101_101);

        // server2 alone takes both groups; server1 then asks for its own with ip-request.
        lab.Start(s2);
        Assert.True(Lab.WaitUntil(() => Holds(lab, s2, Vip1) && Holds(lab, s2, Vip2), Wait), lab.Describe());
        lab.Start(s1);
        Assert.True(Lab.WaitUntil(() => Holds(lab, s1, Vip1) && !Holds(lab, s2, Vip1), Wait), lab.Describe());
        Assert.True(Lab.WaitUntil(() => Read(trace).Contains("local_giveip", StringComparison.Ordinal), Wait), Read(trace) + lab.Describe());

        lab.Kill(s1);
        Assert.True(Lab.WaitUntil(() => Read(trace).Contains("st=dead was=active", StringComparison.Ordinal), Wait), Read(trace) + lab.Describe());
        string lines = Read(trace);
        Output.WriteLine(lines);
        Assert.Contains($"local_giveip ip-request ipaddr=IPaddr2::{Vip1}/24/ens18 src=server1", lines, StringComparison.Ordinal);
        Assert.Contains("status status src=server1 st=active", lines, StringComparison.Ordinal);
        Assert.Contains("status status src=server1 st=dead was=active on=server2", lines, StringComparison.Ordinal);

        // The stock ip-request hook (3.0.6's ResourceManager givegroup) was recognised and left alone.
        Assert.Contains("is Heartbeat 3.0.6's stock hook", s2.Log(), StringComparison.Ordinal);
        Assert.DoesNotContain("rc.d/ip-request ip-request: exit", s2.Log(), StringComparison.Ordinal);
    }

    private static void Hook(string directory, string name, string body)
    {
        string path = Path.Join(directory, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
    }

    private static string Read(string path) => File.Exists(path) ? File.ReadAllText(path) : string.Empty;
}
