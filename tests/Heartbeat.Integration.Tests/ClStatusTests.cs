using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>hbctl's cl_status verbs print what 3.0.6's cl_status prints on the real node beside it, for the same situation.</summary>
public class ClStatusTests(ITestOutputHelper output) : FailoverScenario(output)
{
    [Fact]
    public async Task The_cl_status_verbs_match_3_0_6_in_a_stable_pair_and_after_the_peer_died()
    {
        await using var lab = NewLab("cl_status", "on");
        var nodes = Declare(lab, Pairing.RealAndOurs);
        var (real, ours) = (nodes[0], nodes[1]);
        StartAndPlace(lab, nodes);
        Assert.True(Lab.WaitUntil(() => Lab.RunHbctl(ours, "rscstatus").Output.Trim() == "local", Wait), lab.Describe());

        // Each side asked about the other node, and about the cluster as a whole.
        (string[] Real, string[] Ours)[] pairs =
        [
            (["hbstatus"], ["hbstatus"]),
            (["listnodes"], ["listnodes"]),
            (["nodestatus", "server2"], ["nodestatus", "server1"]),
            (["nodestatus", "-m", "server1"], ["nodestatus", "-m", "server1"]),
            (["nodetype", "server2"], ["nodetype", "server1"]),
            (["nodetype", "-m", "server1"], ["nodetype", "-m", "server1"]),
            (["listhblinks", "server2"], ["listhblinks", "server1"]),
            (["listhblinks", "-v", "server2"], ["listhblinks", "-v", "server1"]),
            (["hblinkstatus", "server2", "ens18"], ["hblinkstatus", "server1", "ens18"]),
            (["rscstatus"], ["rscstatus"]),
            (["rscstatus", "-m"], ["rscstatus", "-m"]),
        ];
        foreach (var (realArgs, oursArgs) in pairs)
        {
            string expected = lab.RunInReal(real, ["cl_status", .. realArgs]);
            var (code, actual) = Lab.RunHbctl(ours, oursArgs);
            Output.WriteLine($"cl_status {string.Join(' ', realArgs)} → {expected.TrimEnd()} | hbctl {string.Join(' ', oursArgs)} → {actual.TrimEnd()}");
            Assert.Equal(0, code);
            Assert.Equal(expected.Replace("server2", "PEER", StringComparison.Ordinal).Replace("server1", "PEER", StringComparison.Ordinal),
                actual.Replace("server2", "PEER", StringComparison.Ordinal).Replace("server1", "PEER", StringComparison.Ordinal));
        }

        // The peer dies: 3.0.6's words and exit codes for a dead node and link; the survivor holds all.
        lab.Kill(real);
        Assert.True(Lab.WaitUntil(() => Lab.RunHbctl(ours, "nodestatus", "server1").Output.Trim() == "dead", Wait), lab.Describe());
        Assert.Equal((1, "dead"), Trimmed(Lab.RunHbctl(ours, "nodestatus", "server1")));
        Assert.Equal((1, "The cluster node server1 is dead"), Trimmed(Lab.RunHbctl(ours, "nodestatus", "-m", "server1")));
        Assert.Equal((1, "dead"), Trimmed(Lab.RunHbctl(ours, "hblinkstatus", "server1", "ens18")));
        Assert.Equal((0, "\tens18\tdead"), (Lab.RunHbctl(ours, "listhblinks", "-v", "server1").Code, Lab.RunHbctl(ours, "listhblinks", "-v", "server1").Output.TrimEnd('\n')));
        Assert.True(Lab.WaitUntil(() => Lab.RunHbctl(ours, "rscstatus").Output.Trim() == "all", Wait), Lab.RunHbctl(ours, "rscstatus").Output);
        Assert.Equal(11, Lab.RunHbctl(ours, "nodestatus", "nosuchnode").Code);
        Assert.Equal(13, Lab.RunHbctl(ours, "hblinkstatus", "server1", "eth9").Code);

        lab.Stop(ours);
        Assert.Equal((1, "Heartbeat is stopped on this machine."), Trimmed(Lab.RunHbctl(ours, "hbstatus")));
    }

    private static (int, string) Trimmed((int Code, string Output) result) => (result.Code, result.Output.Trim());
}
