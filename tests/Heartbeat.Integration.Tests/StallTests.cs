using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// A holder frozen (SIGSTOP) for three deadtimes, then continued. Its peer declares it dead and takes its VIP (the frozen
/// node cannot let go: both hold it); when it wakes it sees its own stall first ("Event loop was paused"), so it does not
/// declare its healthy peer dead, and the pair settles to one holder per VIP without restarting ours.
/// </summary>
public class StallTests(ITestOutputHelper output) : FailoverScenario(output)
{
    [Theory]
    [InlineData(Pairing.OursAndOurs)]
    [InlineData(Pairing.RealAndOurs)]
    public async Task A_stopped_and_continued_holder_accuses_nobody_and_the_cluster_ends_with_one_holder_per_VIP(Pairing pairing)
    {
        await using var lab = NewLab($"stall {pairing}", "on");
        var nodes = Declare(lab, pairing);
        var (steady, frozen) = (nodes[0], nodes[1]); // server2 is ours in both pairings and holds Vip2
        string client = lab.AddOutsider();
        StartAndPlace(lab, nodes);
        await using var probe1 = new VipProbe(lab, nodes, Vip1, client);
        await using var probe2 = new VipProbe(lab, nodes, Vip2, client);
        Thread.Sleep(steady.Real ? 5500 : 1000); // a real node advertises deadtime + 2 s for 5 s after its start
        int frozenMark = frozen.Log().Length;
        int steadyMark = steady.Log().Length;
        var process = Lab.OursProcess(frozen)!;
        int pid = process.Id;

        Lab.Signal(pid, "STOP");
        try
        {
            Assert.True(Lab.WaitUntil(() => probe2.Holders().Length == 2, Wait), $"{steady.Name} did not take {Vip2} from the frozen node\n" + lab.Describe());
            Thread.Sleep(Math.Max(0, 3000 - (int)lab.Keepalive.TotalMilliseconds * 5));
        }
        finally
        {
            Lab.Signal(pid, "CONT");
        }

        var resumed = probe2.Now;
        Assert.True(Lab.WaitForLog(frozen, "Event loop was paused", Wait, frozenMark), lab.Describe());
        var settle = steady.Real ? TimeSpan.FromSeconds(90) : TimeSpan.FromSeconds(15);
        bool Settled() => probe1.Holders() is [var h1] && h1 == steady.Name && probe2.Holders() is [var h2] && h2 == frozen.Name;
        Assert.True(Lab.WaitUntil(Settled, settle), $"not one holder per VIP after the stall: {Vip1} on [{string.Join(",", probe1.Holders())}], {Vip2} on [{string.Join(",", probe2.Holders())}]\n" + lab.Describe());
        var settledAfter = probe2.Now - resumed;
        Thread.Sleep(2000);
        Assert.True(Settled(), "the placement did not last\n" + lab.Describe());
        Output.WriteLine($"{pairing}: one holder per VIP {settledAfter.TotalMilliseconds:F0} ms after SIGCONT; {probe1.Summary(resumed)}; {probe2.Summary(resumed)}");

        // The stalled node accused nobody, and it is the same process (ours never restarts itself).
        Assert.DoesNotContain($"node {steady.Name}: is dead", frozen.Log()[frozenMark..], StringComparison.Ordinal);
        Assert.False(process.HasExited, "the stalled daemon exited\n" + lab.Describe());
        Assert.Equal(pid, Lab.OursProcess(frozen)!.Id);
        if (!steady.Real)
        {
            // 3.0.6 restarts itself when a node it declared dead returns (giving its groups up: ours then holds both for
            // a while, as it should); between two of ours nothing else moves.
            Assert.False(probe1.EverHeldBy(frozen.Name, resumed), $"the stalled node took {Vip1}\n" + lab.Describe());
            Assert.Contains($"node {frozen.Name}: is dead", steady.Log()[steadyMark..], StringComparison.Ordinal);
            Assert.Contains($"Cluster node {frozen.Name} returning after partition", steady.Log()[steadyMark..], StringComparison.Ordinal);
            Assert.InRange(probe1.LongestOutage(resumed), TimeSpan.Zero, TimeSpan.FromSeconds(1));
        }

        // The woken holder re-announces its VIP at once: a 3.0.6 peer's restart then deletes its copy without an ARP,
        // which left clients on the deleted copy until their neighbour entry went stale (6.4 s measured before).
        // Generous bounds for a loaded machine; the figures above are the measurement (0 ms here).
        Assert.Contains("announce group IPaddr2::" + Vip2, frozen.Log()[frozenMark..], StringComparison.Ordinal);
        Assert.InRange(probe2.LongestOutage(resumed), TimeSpan.Zero, TimeSpan.FromSeconds(2));
    }

    /// <summary>
    /// The stalled holder is a real 3.0.6 node (chaos seeds 20261219-21). It holds its group through its stall and, not
    /// having restarted, keeps holding it after it wakes, while ours took it meanwhile. Ours asks it for its copy
    /// (hb_takeover: 3.0.6's own standby exchange), keeping the group up and announced itself throughout; before, the
    /// group was up on both for the heal's 30 s fallback and then only on 3.0.6, which had sent no ARP since.
    /// </summary>
    [Fact]
    public async Task A_stopped_and_continued_real_holder_gives_its_copy_to_ours_which_held_it_throughout()
    {
        await using var lab = NewLab("stall real holder", "off");
        var nodes = Declare(lab, Pairing.OursAndReal);
        var (ours, real) = (nodes[0], nodes[1]); // server2 is the real node and holds Vip2
        string client = lab.AddOutsider();
        StartAndPlace(lab, nodes);
        await using var probe1 = new VipProbe(lab, nodes, Vip1, client);
        await using var probe2 = new VipProbe(lab, nodes, Vip2, client);
        Thread.Sleep(5500); // a real node advertises deadtime + 2 s for 5 s after its start
        int oursMark = ours.Log().Length;
        var pids = lab.RealDaemonProcesses(real);
        Assert.NotEmpty(pids);

        foreach (int pid in pids)
        {
            Lab.Signal(pid, "STOP");
        }

        try
        {
            Assert.True(Lab.WaitUntil(() => probe2.Holders().Length == 2, Wait), $"{ours.Name} did not take {Vip2} from the frozen node\n" + lab.Describe());
            Thread.Sleep(Math.Max(0, 3000 - (int)lab.Keepalive.TotalMilliseconds * 5));
        }
        finally
        {
            foreach (int pid in pids)
            {
                Lab.Signal(pid, "CONT");
            }
        }

        var resumed = probe2.Now;

        // auto_failback off: both groups stay where the takeover put them, on ours, once 3.0.6 gave its copies up.
        bool Settled() => probe1.Holders() is [var h1] && h1 == ours.Name && probe2.Holders() is [var h2] && h2 == ours.Name;
        Assert.True(Lab.WaitUntil(Settled, TimeSpan.FromSeconds(25)), $"3.0.6 kept its copy: {Vip1} on [{string.Join(",", probe1.Holders())}], {Vip2} on [{string.Join(",", probe2.Holders())}]\n" + lab.Describe());
        var settledAfter = probe2.Now - resumed;
        Thread.Sleep(2000);
        Assert.True(Settled(), "the placement did not last\n" + lab.Describe());
        Output.WriteLine($"one holder per VIP {settledAfter.TotalMilliseconds:F0} ms after SIGCONT; {probe1.Summary(resumed)}; {probe2.Summary(resumed)}");

        Assert.Contains("asking it to give up its copies (hb_takeover", string.Join('\n', ours.Log()[oursMark..]), StringComparison.Ordinal);
        Assert.True(probe2.HeldThroughoutBy(ours.Name, resumed), $"ours let go of {Vip2} after the heal\n" + lab.Describe());

        // Generous bounds for a loaded machine; the figures above are the measurement. Clients stay on ours (its
        // takeover and heal ARP, and its announcement once 3.0.6's copies are gone: 3.0.6 may have taken ours' own
        // group over with its ARP when it woke, 1.8 s of outage for it before), so both groups answer throughout; the
        // double hold lasts 3.0.6's standby release.
        foreach (var probe in (VipProbe[])[probe1, probe2])
        {
            Assert.True(probe.LongestOutage(resumed) <= TimeSpan.FromSeconds(1), $"{probe.Summary(resumed)}\n" + lab.Describe());
        }

        Assert.InRange(probe2.LongestDoubleHold(resumed), TimeSpan.Zero, TimeSpan.FromSeconds(15));
    }
}
