namespace Heartbeat.Chaos.Tests;

public sealed class CheckerTests
{
    [Fact]
    public void A_double_holder_while_both_hear_each_other_is_a_violation()
    {
        var evidence = new Timeline().Hearing(0, 30).Add(1, "server1").Add(10, "server2").Evidence(30);

        var violation = Assert.Single(Checker.DoubleHolders(evidence, Timeline.Rules));

        Assert.Equal("double-holder", violation.Rule);
        Assert.Equal("server1+server2", violation.Node);
        Assert.Equal(Timeline.T0 + 10 + Timeline.Rules.Resolution, violation.At, 3);
        Assert.Equal("server2", violation.Culprit);
    }

    [Fact]
    public void A_double_holder_during_a_partition_is_not_a_violation()
    {
        // Heard each other until 10 s, nothing from 10 s to 20 s (the partition), both hold from 12.5 s.
        var evidence = new Timeline().Hearing(0, 10).Add(1, "server1").Add(12.5, "server2").Evidence(20);

        Assert.Empty(Checker.DoubleHolders(evidence, Timeline.Rules));
    }

    [Fact]
    public void A_double_holder_resolved_within_keepalive_and_the_groups_stop_after_the_heal_is_not_a_violation()
    {
        // Partition from 10 s to 20 s; the loser lets go 1.5 s after the first heartbeats cross again.
        var timeline = new Timeline().Hearing(0, 10).Hearing(20, 40).Add(1, "server1").Add(12.5, "server2").Add(21.5, "server2", added: false);

        Assert.Empty(Checker.DoubleHolders(timeline.Evidence(40), Timeline.Rules));
    }

    [Fact]
    public void A_double_holder_that_outlasts_the_grace_after_the_heal_is_a_violation_from_the_end_of_the_grace()
    {
        var timeline = new Timeline().Hearing(0, 10).Hearing(20, 40).Add(1, "server1").Add(12.5, "server2").Add(30, "server2", added: false);

        var violation = Assert.Single(Checker.DoubleHolders(timeline.Evidence(40), Timeline.Rules));

        // Mutual from the first datagram of the second direction (10 ms after the first's), heard a keepalive later.
        Assert.Equal(Timeline.T0 + 20.01 + Timeline.Rules.HeardFor + Timeline.Rules.Resolution, violation.At, 3);
    }

    [Fact]
    public void Seed_20261220_a_real_node_letting_go_after_a_heal_gets_its_restart_delay_and_ours_does_not()
    {
        // Seed 20261220 run 2: 3.0.6 (server2) held the group, a partition, ours (server1) took it; at the heal 3.0.6
        // restarts 2 s after "returning after partition" and stops the group 3.0-3.45 s after the heal.
        var realLets = new Timeline().Hearing(0, 10).Hearing(20, 40).Add(1, "server2").Add(12.5, "server1").Add(23.5, "server2", added: false);
        var oursLets = new Timeline().Hearing(0, 10).Hearing(20, 40).Add(1, "server2").Add(12.5, "server1").Add(23.5, "server1", added: false);
        var realTooLate = new Timeline().Hearing(0, 10).Hearing(20, 40).Add(1, "server2").Add(12.5, "server1").Add(26, "server2", added: false);
        var rules = Timeline.Rules with { RealNodes = new HashSet<string>(["server2"]) };

        Assert.Empty(Checker.DoubleHolders(realLets.Evidence(40), rules));
        Assert.Single(Checker.DoubleHolders(oursLets.Evidence(40), rules));
        Assert.Single(Checker.DoubleHolders(realLets.Evidence(40), Timeline.Rules));
        var late = Assert.Single(Checker.DoubleHolders(realTooLate.Evidence(40), rules));
        Assert.Equal(Timeline.T0 + 20.01 + rules.HeardFor + rules.ResolutionFor("server2"), late.At, 3);
    }

    [Fact]
    public void A_make_before_break_handover_of_a_few_milliseconds_is_not_a_violation()
    {
        // Seed 20261207: server2 added the VIPs in the same millisecond server1 deleted them (ours' standby handover).
        var timeline = new Timeline().Hearing(0, 30).Add(1, "server1").Add(10.168, "server2").Add(10.170, "server1", added: false);

        Assert.Empty(Checker.DoubleHolders(timeline.Evidence(30), Timeline.Rules));
    }

    [Fact]
    public void Hearing_only_one_way_is_not_having_heard_each_other()
    {
        var timeline = new Timeline().Add(1, "server1").Add(5, "server2");
        for (double t = 0; t < 30; t += 0.2)
        {
            timeline.Receptions.Add(new Reception(Timeline.T0 + t, "server1", "server2"));
        }

        Assert.Empty(Checker.DoubleHolders(timeline.Evidence(30), Timeline.Rules));
    }

    [Fact]
    public void The_counting_resource_running_on_both_nodes_while_they_hear_each_other_is_a_double_holder()
    {
        var timeline = new Timeline().Hearing(0, 30).Call(1, "server1", "started").Call(10, "server2", "started").Call(20, "server2", "stopped");

        var violation = Assert.Single(Checker.DoubleHolders(timeline.Evidence(30), Timeline.Rules));

        Assert.Contains(Checker.CountingResource, violation.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vip_without_a_holder_after_the_heal_is_a_violation()
    {
        // server1 held it until the fault at 10 s; nobody took it by the end of the quiet window.
        var timeline = new Timeline().Hearing(0, 40).Add(1, "server1").Add(10, "server1", added: false).Fault(FaultKind.Kill, "server1", 10, 12, 30);

        var violation = Assert.Single(Checker.NoHolder(timeline.Evidence(30), Timeline.Rules));

        Assert.Equal("no-holder", violation.Rule);
        Assert.Equal("-", violation.Culprit);
    }

    [Fact]
    public void A_node_that_takes_a_vip_and_lets_it_go_without_a_successor_is_the_culprit()
    {
        // server1 hands over at 10 s on request; server2 takes it at 11 s and drops it at 12 s (a failed start).
        var timeline = new Timeline().Hearing(0, 40).Add(1, "server1").Add(10, "server1", added: false).Add(11, "server2").Add(12, "server2", added: false)
            .Fault(FaultKind.Takeover, "server2", 10, 10, 30);

        Assert.Equal("server2", Assert.Single(Checker.NoHolder(timeline.Evidence(30), Timeline.Rules)).Culprit);
    }

    [Fact]
    public void Seed_20261212_a_slow_successor_after_a_standby_handover_is_the_culprit_not_the_releaser()
    {
        // Seed 20261212 run 2 (ours+real), evidence without message contents: ours (server1) goes standby and releases
        // in 113 ms; 3.0.6 (server2) runs IPaddr2 once per VIP and adds the second VIP 5.6 s later.
        var timeline = new Timeline().Hearing(0, 40).Add(1, "server1").Add(10, "server1", added: false).Add(15.6, "server2")
            .Fault(FaultKind.Standby, "server1", 9.9, 9.9, 30);

        Assert.Equal("server2", Assert.Single(Checker.NoHolder(timeline.Evidence(30), Timeline.Rules)).Culprit);
    }

    [Fact]
    public void A_successor_handed_the_group_by_the_captured_exchange_is_the_culprit_of_its_slow_start()
    {
        // Seed 20261211 run 2's shape, with message contents: server1 stops gracefully (its shutdown report), server2
        // takes the group 7 s later.
        var timeline = new Timeline().Hearing(0, 40).Add(1, "server1").Says(9.9, "server1", "resource", hold: "all", info: "shutdown")
            .Add(10, "server1", added: false).Add(17, "server2").Fault(FaultKind.Graceful, "server1", 9.9, 12, 30);

        Assert.Equal("server2", Assert.Single(Checker.NoHolder(timeline.Evidence(30), Timeline.Rules)).Culprit);
    }

    [Fact]
    public void Seed_20261223_a_successor_handed_the_group_only_at_the_end_of_a_gap_is_not_its_culprit()
    {
        // Seed 20261223 run 2 (ours+real): 3.0.6 (server2) takes the group in a standby, its start fails and it leaves
        // the group stopped; 30 s later it goes standby itself and ours (server1) takes the group at once. The gap is
        // the releaser's, not the successor's that was handed the group 0.1 s before it took it.
        var timeline = new Timeline().Hearing(0, 60).Add(1, "server2").Add(5, "server2", added: false)
            .Says(34.9, "server2", "ask_resources", "foreign", "me").Says(35, "server2", "ask_resources", "foreign", "done").Add(35.1, "server1")
            .Fault(FaultKind.Delay, "server2", 10, 17, 40);

        Assert.Equal("server2", Assert.Single(Checker.NoHolder(timeline.Evidence(60), Timeline.Rules)).Culprit);
    }

    [Fact]
    public void Seed_20261211_a_peer_handed_the_group_that_has_not_taken_it_by_the_end_of_the_quiet_is_the_culprit()
    {
        // Seed 20261211 run 2: ours (server1) stops gracefully; 3.0.6 (server2) acquires the VIPs one IPaddr2 at a time
        // and has not reached this one when the next fault begins.
        var timeline = new Timeline().Hearing(0, 40).Add(1, "server1").Add(10, "server1", added: false).Add(31, "server2")
            .Fault(FaultKind.Graceful, "server1", 9.9, 15, 27);

        Assert.Equal("server2", Assert.Single(Checker.NoHolder(timeline.Evidence(40), Timeline.Rules)).Culprit);
    }

    [Fact]
    public void A_node_that_lets_a_vip_go_without_handing_it_over_stays_the_culprit_when_another_takes_it_late()
    {
        // The captured exchange has no hand-over: server2 takes the VIP only after server1 had gone silent.
        var timeline = new Timeline().Hearing(0, 9).Says(0.5, "server1", "resource", hold: "all").Add(1, "server1")
            .Add(10, "server1", added: false).Add(17, "server2").Fault(FaultKind.OneWay, "server1", 9, 12, 30);

        Assert.Equal("server1", Assert.Single(Checker.NoHolder(timeline.Evidence(30), Timeline.Rules)).Culprit);
    }

    [Fact]
    public void A_dumps_client_gaps_give_each_fault_the_longest_gap_that_began_in_its_window()
    {
        AppliedFault[] faults = [new(1, FaultKind.Kill, "server1", 100, 102, 115, "d"), new(2, FaultKind.Standby, "server2", 115, 115, 130, "d")];
        string[] gaps = ["101.000 103.500 10.10.10.51 2500 ms", "101.500 102.000 10.10.10.52 500 ms", "114.990 116.000 10.10.10.51 1010 ms", "131.000 140.000 10.10.10.51 9000 ms", "bad"];

        var outages = Checker.Outages(faults, gaps.Select(OutageSummary.Gap).OfType<Span>());

        Assert.Equal(2.5, outages[1], 6);
        Assert.Equal(0.0, outages[2]);
    }

    [Fact]
    public void A_takeover_within_deadtime_and_the_groups_start_is_not_a_violation()
    {
        var timeline = new Timeline().Hearing(0, 40).Add(1, "server1").Add(10, "server1", added: false).Add(12.8, "server2").Fault(FaultKind.Kill, "server1", 10, 12, 30);

        Assert.Empty(Checker.NoHolder(timeline.Evidence(30), Timeline.Rules));
    }

    [Fact]
    public void A_short_handover_late_in_the_quiet_window_is_not_a_violation_but_a_long_one_is()
    {
        var shortGap = new Timeline().Add(1, "server2").Add(20, "server2", added: false).Add(20.4, "server1").Fault(FaultKind.Standby, "server2", 10, 10, 30);
        var longGap = new Timeline().Add(1, "server2").Add(20, "server2", added: false).Add(26, "server1").Fault(FaultKind.Standby, "server2", 10, 10, 30);

        Assert.Empty(Checker.NoHolder(shortGap.Evidence(30), Timeline.Rules));
        Assert.Single(Checker.NoHolder(longGap.Evidence(30), Timeline.Rules));
    }

    [Fact]
    public void A_daemon_that_vanishes_without_a_kill_is_a_violation_one_killed_is_not()
    {
        var timeline = new Timeline()
            .Pid(0, "server1", 100).Pid(0, "server2", 200)
            .Fault(FaultKind.Kill, "server1", 10, 14, 25).Pid(10.05, "server1", null).Pid(14.2, "server1", 101)
            .Pid(27, "server2", null);

        var violation = Assert.Single(Checker.Died(timeline.Evidence(30), Timeline.Rules));

        Assert.Equal("server2", violation.Node);
        Assert.Contains("200 gone", violation.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pid_replaced_outside_a_kill_is_a_violation()
    {
        var timeline = new Timeline().Pid(0, "server1", 100).Pid(12, "server1", 150);

        Assert.Contains("replaced by 150", Assert.Single(Checker.Died(timeline.Evidence(30), Timeline.Rules)).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_start_while_the_resource_runs_is_started_twice_a_start_after_a_power_off_is_not()
    {
        var twice = new Timeline().Call(1, "server1", "start").Call(1.1, "server1", "started").Call(5, "server1", "start");
        var afterReset = new Timeline().Call(1, "server1", "start").Call(1.1, "server1", "started").Call(4, "server1", "reset").Call(5, "server1", "start");

        Assert.Equal(Timeline.T0 + 5, Assert.Single(Checker.StartedTwice(twice.Evidence(10))).At, 3);
        Assert.Empty(Checker.StartedTwice(afterReset.Evidence(10)));
    }

    [Fact]
    public void Nodes_that_have_not_heard_each_other_again_by_the_end_of_the_quiet_window_are_a_violation()
    {
        var healed = new Timeline().Hearing(0, 10).Hearing(13, 30).Fault(FaultKind.Partition, "server1", 10, 13, 30);
        var still = new Timeline().Hearing(0, 10).Fault(FaultKind.Partition, "server1", 10, 13, 30);

        Assert.Empty(Checker.NotHeard(healed.Evidence(30), Timeline.Rules));
        Assert.Single(Checker.NotHeard(still.Evidence(30), Timeline.Rules));
    }

    [Fact]
    public void The_node_gone_silent_is_the_culprit_of_not_heard()
    {
        var timeline = new Timeline().Hearing(0, 10).Fault(FaultKind.OneWay, "server1", 10, 13, 30);
        for (double t = 10; t < 30; t += 0.2)
        {
            // server2 still heard by server1; server1 silent to server2.
            timeline.Receptions.Add(new Reception(Timeline.T0 + t, "server1", "server2"));
        }

        Assert.Equal("server1", Assert.Single(Checker.NotHeard(timeline.Evidence(30), Timeline.Rules)).Culprit);
    }

    [Fact]
    public void Outages_go_to_the_fault_in_whose_window_they_began()
    {
        var timeline = new Timeline().Fault(FaultKind.Kill, "server1", 10, 12, 20).Fault(FaultKind.Standby, "server2", 20, 20, 30);
        for (double t = 0; t < 30; t += 0.01)
        {
            bool down = (t >= 10.5 && t < 13) || (t >= 21 && t < 21.3);
            timeline.Probes.Add(new ProbeAttempt(Timeline.T0 + t, Timeline.Vip, down ? null : "server2"));
        }

        var outages = Checker.Outages(timeline.Evidence(30));

        Assert.Equal(2.51, outages[1], 2);
        Assert.Equal(0.31, outages[2], 2);
    }

    [Fact]
    public void Heard_splits_at_a_gap_above_two_keepalives()
    {
        var timeline = new Timeline().Hearing(0, 5).Hearing(5.5, 8);

        var spans = Checker.Heard(timeline.Receptions, "server1", "server2", Timeline.Rules.ContinuityGap);

        Assert.Equal(2, spans.Count);
        Assert.Equal(Timeline.T0 + 4.8 + 0.4, spans[0].To, 3);
    }
}
