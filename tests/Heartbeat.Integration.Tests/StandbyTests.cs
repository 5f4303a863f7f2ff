using System.Diagnostics;
using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>The standby protocol between ours and a real 3.0.6 node: the real node's own scripts drive it, ours answers.</summary>
public class StandbyTests(ITestOutputHelper output) : FailoverScenario(output)
{
    [Fact]
    public async Task The_real_nodes_hb_standby_and_hb_takeover_move_the_groups_through_ours()
    {
        await using var lab = NewLab("standby real+ours", "on");
        var nodes = Declare(lab, Pairing.RealAndOurs);
        var (real, ours) = (nodes[0], nodes[1]);
        StartAndPlace(lab, nodes);

        // hb_standby all on the real node: it gives everything to ours.
        var clock = Stopwatch.StartNew();
        lab.RunInReal(real, "/usr/share/heartbeat/hb_standby", "all");
        Assert.True(Lab.WaitUntil(() => Holds(lab, ours, Vip1) && Holds(lab, ours, Vip2) && !Holds(lab, real, Vip1), Wait), lab.Describe());
        Output.WriteLine($"hb_standby all on the real node: both VIPs on ours after {clock.ElapsedMilliseconds} ms");

        // auto_failback on does not hand them straight back after a deliberate standby.
        Thread.Sleep(2000);
        Assert.False(Holds(lab, real, Vip1));

        // hb_takeover all on the real node: ours goes standby all and the real node takes everything.
        clock.Restart();
        lab.RunInReal(real, "/usr/share/heartbeat/hb_takeover", "all");
        Assert.True(Lab.WaitUntil(() => Holds(lab, real, Vip1) && Holds(lab, real, Vip2) && !Holds(lab, ours, Vip2), Wait), lab.Describe());
        Output.WriteLine($"hb_takeover all on the real node: both VIPs on the real node after {clock.ElapsedMilliseconds} ms");
        Assert.DoesNotContain(LogChecks.TroubleIn(real.Log()), l => !l.Contains("Late heartbeat", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_failback_on_ours_hands_a_returning_real_node_its_group_back()
    {
        await using var lab = NewLab("failback ours+real", "on");
        var nodes = Declare(lab, Pairing.OursAndReal);
        var (ours, real) = (nodes[0], nodes[1]);
        StartAndPlace(lab, nodes);
        Thread.Sleep(5500);

        lab.Kill(real);
        Lab.InNetns(lab.Netns(real), "ip", "addr", "del", $"{Vip2}/24", "dev", "ens18");
        Assert.True(Lab.WaitUntil(() => Holds(lab, ours, Vip2), Wait), lab.Describe());

        var clock = Stopwatch.StartNew();
        lab.Start(real);
        Assert.True(Lab.WaitUntil(() => Holds(lab, real, Vip2) && !Holds(lab, ours, Vip2), Wait), lab.Describe());
        Output.WriteLine($"failback: {Vip2} back on the real node {clock.ElapsedMilliseconds} ms after its restart (3.0.6: 3.6–5.2 s)");
        Assert.True(Holds(lab, ours, Vip1));
    }
}
