using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Fencing;
using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Node;
using Heartbeat.Protocol.Resources;
using static Heartbeat.Protocol.Tests.Node.NodeHarness;

namespace Heartbeat.Protocol.Tests.Node;

/// <summary>STONITH before takeover through whole nodes (stonith_host * on both), with a fake device on the fake clock.</summary>
public class FencingTests
{
    // Both groups at home on server2: server2 is the holder, server1 the idle node whose name sorts first.
    private const string BothOnServer2 = "server2 IPaddr2::10.10.10.1/24/ens18 Trace::g1a\nserver2 IPaddr2::10.10.10.11/24/ens18 Trace::g2a\n";

    [Fact]
    public void A_crashed_holder_is_reset_after_the_contender_delay_and_only_then_taken_over()
    {
        var lab = StablePair(AutoFailback.On, stonith: true);
        lab.FenceTakes = TimeSpan.FromMilliseconds(500);
        lab.Crash("server1");
        lab.Run(TimeSpan.FromSeconds(1.5));

        // Dead after the 1 s deadtime; server2 holds one group as server1 did and its name sorts later: it waits 3 s.
        Assert.Contains(lab.Events["server2"], e => e is NodeDead { Node: "server1" });
        Assert.Contains(lab.FenceLog["server2"], e => e is FenceDelayed { Node: "server1", HeldHere: 1, HeldThere: 1, PeerIsHeartbeat306: false });
        Assert.Empty(lab.Fences["server2"]);
        Assert.Empty(lab.Requests["server2"]);

        lab.Run(TimeSpan.FromSeconds(4));
        var reset = Assert.Single(lab.Resets);
        Assert.Equal(("server2", "server1"), (reset.By, reset.Victim));
        var takeover = Assert.Single(lab.Requests["server2"]);
        Assert.Equal((G1, GroupAction.Acquire, true), (takeover.Key, takeover.Action, takeover.IsTakeover));
        Assert.Equal([G1, G2], lab.Held("server2"));
        Assert.Equal(["stonith server1 OK"], lab.Wire("server2").Where(m => m.StartsWith("stonith", StringComparison.Ordinal)));
        Assert.Contains(lab.FenceLog["server2"], e => e is FenceReleasedTakeover { Node: "server1", Released: 1 });
        Assert.Equal(1, lab.Nodes["server2"].Takeovers);
    }

    [Fact]
    public void A_split_brain_fences_exactly_the_node_without_the_groups_and_nothing_moves()
    {
        var lab = StablePair(AutoFailback.On, BothOnServer2, stonith: true);
        lab.FenceTakes = TimeSpan.FromMilliseconds(500);
        Assert.Equal([G1, G2], lab.Held("server2"));
        lab.Cut("server1", "server2");
        lab.Run(TimeSpan.FromSeconds(8));

        // The holder resets at once; the idle node (whose name would win a tie) waits and is powered off meanwhile.
        var reset = Assert.Single(lab.Resets);
        Assert.Equal(("server2", "server1"), (reset.By, reset.Victim));
        Assert.Contains(lab.FenceLog["server1"], e => e is FenceDelayed { Node: "server2", HeldHere: 0, HeldThere: 2 });
        Assert.Empty(lab.Fences["server1"]);
        Assert.DoesNotContain(lab.Requests["server1"], r => r.Action == GroupAction.Acquire);
        Assert.Equal([G1, G2], lab.Held("server2"));
        Assert.DoesNotContain(lab.Requests["server2"], r => r.Action == GroupAction.Release);
    }

    [Fact]
    public void A_split_brain_with_a_group_each_is_won_by_the_name_that_sorts_first()
    {
        var lab = StablePair(AutoFailback.On, stonith: true);
        lab.FenceTakes = TimeSpan.FromMilliseconds(500);
        lab.Cut("server1", "server2");
        lab.Run(TimeSpan.FromSeconds(8));

        var reset = Assert.Single(lab.Resets);
        Assert.Equal(("server1", "server2"), (reset.By, reset.Victim));
        Assert.Equal([G1, G2], lab.Held("server1"));
    }

    [Fact]
    public void Alone_at_start_with_a_failing_device_its_own_group_starts_and_only_the_peers_waits()
    {
        // The peer powered off together with its fencing device: every reset fails. 3.0.6 runs req_our_resources
        // beside the reset, so the survivor serves its own group; only the takeover of the peer's waits for a reset.
        var lab = new NodeHarness(AutoFailback.On, stonith: true) { FenceTakes = TimeSpan.FromMilliseconds(200), FenceFails = true };
        lab.Start("server1");
        lab.Run(TimeSpan.FromSeconds(15));

        Assert.True(lab.Fences["server1"].Count >= 2, "the reset is not retried");
        Assert.All(lab.Fences["server1"], f => Assert.Equal("server2", f.Node));
        Assert.Empty(lab.Resets);
        Assert.Equal([G1], lab.Held("server1"));
        Assert.DoesNotContain(lab.Requests["server1"], r => r.Key == G2 && r.Action == GroupAction.Acquire);
        Assert.Equal(1, lab.Nodes["server1"].TakeoverHeldBack);
    }

    [Fact]
    public void A_failing_device_is_retried_every_5_s_and_the_groups_are_never_taken()
    {
        var lab = StablePair(AutoFailback.On, BothOnServer2, stonith: true);
        lab.FenceTakes = TimeSpan.FromMilliseconds(200);
        lab.FenceFails = true;
        var crashed = lab.Time.GetUtcNow();
        lab.Crash("server2");
        lab.Run(TimeSpan.FromSeconds(20));

        // server1 holds nothing, server2 held both: dead after ~1 s, the 3 s delay, then an attempt 5 s after each
        // failure: at ~4, ~9.2, ~14.4, ~19.6 s.
        var attempts = lab.FenceLog["server1"].OfType<FenceStarted>().ToList();
        Assert.Equal([1, 2, 3, 4], attempts.Select(a => a.Attempt));
        Assert.Empty(lab.Requests["server1"]);
        Assert.Empty(lab.Held("server1"));
        Assert.Equal(Enumerable.Repeat("stonith server2 bad", 4), lab.Wire("server1").Where(m => m.StartsWith("stonith", StringComparison.Ordinal)));
        Assert.True(lab.Nodes["server1"].Fencing.HoldsTakeover);
        Assert.Equal(2, lab.Nodes["server1"].TakeoverHeldBack);

        // The device works again: the next attempt resets the node and the takeover goes ahead.
        lab.FenceFails = false;
        lab.Run(TimeSpan.FromSeconds(6));
        Assert.Equal(["server2"], lab.Resets.Select(r => r.Victim));
        Assert.Equal([G1, G2], lab.Held("server1"));
        Assert.True(lab.Resets[0].At - crashed >= TimeSpan.FromSeconds(3 + (4 * 5)));
    }

    [Fact]
    public void Against_a_306_peer_the_delay_is_logged_as_a_possible_duel()
    {
        var lab = StablePair(AutoFailback.On, BothOnServer2, asReal: true, stonith: true);
        lab.Crash("server2");
        lab.Run(TimeSpan.FromSeconds(1.5));
        Assert.Contains(lab.FenceLog["server1"], e => e is FenceDelayed { PeerIsHeartbeat306: true });
    }

    [Fact]
    public void A_holder_that_resumes_within_the_contender_delay_is_not_reset_and_keeps_its_groups()
    {
        // server2 holds both groups and stops (SIGSTOP) for 2.5 s: server1 declares it dead after the 1 s deadtime and
        // waits its 3 s delay; server2 is heard again before the delay ends, so the fence is cancelled.
        var lab = StablePair(AutoFailback.On, BothOnServer2, stonith: true);
        lab.FenceTakes = TimeSpan.FromMilliseconds(500);
        lab.Frozen.Add("server2");
        lab.Run(TimeSpan.FromSeconds(2.5));
        Assert.Contains(lab.FenceLog["server1"], e => e is FenceDelayed { Node: "server2" });
        Assert.Equal(2, lab.Nodes["server1"].TakeoverHeldBack);

        lab.Frozen.Remove("server2");
        lab.Run(TimeSpan.FromSeconds(8));
        Assert.Empty(lab.Fences["server1"]);
        Assert.Empty(lab.Resets);
        var cancelled = Assert.Single(lab.FenceLog["server1"].OfType<FenceCancelled>());
        Assert.Equal(("server2", true, 0, 2), (cancelled.Node, cancelled.InContenderDelay, cancelled.Attempts, cancelled.Withdrawn));
        Assert.True(cancelled.Remaining > TimeSpan.Zero);
        Assert.Equal(FenceStep.Cancelled, Assert.Single(lab.Nodes["server1"].Fencing.Fences).Step);
        Assert.Equal(0, lab.Nodes["server1"].TakeoverHeldBack);
        Assert.False(lab.Nodes["server1"].Fencing.HoldsTakeover);

        // Nothing was started on server1, nothing of server2's stopped, and server1 claims no foreign class.
        Assert.DoesNotContain(lab.Requests["server1"], r => r.Action == GroupAction.Acquire);
        Assert.Empty(lab.Held("server1"));
        Assert.Equal([G1, G2], lab.Held("server2"));
        Assert.DoesNotContain(lab.Requests["server2"], r => r.Action == GroupAction.Release);
        Assert.Equal(HoldSet.None, lab.Nodes["server1"].Holding & HoldSet.Foreign);
        Assert.DoesNotContain(lab.Wire("server1"), m => m.Contains("mach_down", StringComparison.Ordinal));
    }

    [Fact]
    public void A_split_brain_that_heals_cancels_the_delayed_reset_and_lets_the_running_one_end()
    {
        // Only the links are cut: server2 (the holder) resets at once, server1 waits. The links come back while the
        // holder's reset still runs (it waits for FinishFence): server1 cancels, server2's attempt runs on and fails,
        // and is not retried.
        var lab = StablePair(AutoFailback.On, BothOnServer2, stonith: true);
        lab.Cut("server1", "server2");
        lab.Run(TimeSpan.FromSeconds(2));
        Assert.Single(lab.Fences["server2"]);
        Assert.Equal(2, lab.Nodes["server1"].TakeoverHeldBack);

        lab.Blocked.Clear();
        lab.Run(TimeSpan.FromSeconds(1));
        Assert.Contains(lab.FenceLog["server1"], e => e is FenceCancelled { Node: "server2", InContenderDelay: true });
        Assert.Contains(lab.FenceLog["server2"], e => e is FenceNotRecalled { Node: "server1", Attempt: 1 });
        Assert.True(lab.Nodes["server2"].Fencing.HoldsTakeover);

        lab.FinishFence("server2", FenceResult.Bad);
        lab.Run(TimeSpan.FromSeconds(8));
        Assert.Single(lab.Fences["server2"]); // not retried
        Assert.Empty(lab.Fences["server1"]);
        Assert.Empty(lab.Resets);
        Assert.False(lab.Nodes["server2"].Fencing.HoldsTakeover);
        Assert.Contains(lab.FenceLog["server2"], e => e is FenceAttemptEnded { Node: "server1", Result: FenceResult.Bad, RetryIn: null });
        Assert.Equal([G1, G2], lab.Held("server2"));
        Assert.Empty(lab.Held("server1"));
    }

    [Fact]
    public void Beside_a_306_peer_the_holder_waits_too_and_keeps_its_groups_meanwhile()
    {
        // Each node takes the other for a 3.0.6 (no implementation field on the wire). Only the links are cut: the
        // holder of ours yields as the idle node does, since a 3.0.6 peer would reset it at once.
        var lab = StablePair(AutoFailback.On, BothOnServer2, asReal: true, stonith: true);
        lab.FenceTakes = TimeSpan.FromMilliseconds(500);
        lab.Cut("server1", "server2");
        lab.Run(TimeSpan.FromSeconds(2.5));
        Assert.Contains(lab.FenceLog["server2"], e => e is FenceDelayed { Node: "server1", HeldHere: 2, HeldThere: 0, PeerIsHeartbeat306: true, YieldedTo306: true });
        Assert.Contains(lab.FenceLog["server1"], e => e is FenceDelayed { Node: "server2", YieldedTo306: false });
        Assert.Empty(lab.Fences["server2"]);
        Assert.Empty(lab.Resets);
        Assert.Equal([G1, G2], lab.Held("server2"));
    }

    [Fact]
    public void A_leave_during_a_reset_gives_up_the_waiting_starts_and_completes()
    {
        var lab = StablePair(AutoFailback.On, BothOnServer2, stonith: true);
        lab.Crash("server2");
        lab.Run(TimeSpan.FromSeconds(6)); // the reset runs and never ends (no FenceTakes)
        Assert.Equal(2, lab.Nodes["server1"].TakeoverHeldBack);
        lab.Nodes["server1"].BeginLeave();
        lab.Run(TimeSpan.FromSeconds(2));
        Assert.Equal(0, lab.Nodes["server1"].TakeoverHeldBack);
        Assert.True(lab.Nodes["server1"].ShutdoneSent);
        Assert.Empty(lab.Held("server1"));
    }

    [Fact]
    public void A_peer_that_left_gracefully_is_not_reset()
    {
        var lab = StablePair(AutoFailback.On, stonith: true);
        lab.Nodes["server1"].BeginLeave();
        lab.Run(TimeSpan.FromSeconds(3));
        Assert.Empty(lab.Fences["server2"]);
        Assert.Equal([G1, G2], lab.Held("server2"));
    }
}
