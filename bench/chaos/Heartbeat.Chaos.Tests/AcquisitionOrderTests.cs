namespace Heartbeat.Chaos.Tests;

public sealed class AcquisitionOrderTests
{
    [Fact]
    public void Seed_4_run_2_ours_acquiring_on_the_306_peers_standby_done_is_not_the_culprit_306s_mach_down_race_is()
    {
        // The shape of seed 4, run 2 (ours+real), fault #8 (times from its evidence, relative to 1796668150 s):
        // server1 (ours) stops gracefully; server2 (3.0.6) acquires the group on its shutdown notice; server1 comes back
        // within deadtime; server2's mach_down takeover of it runs beside the failback standby it started for the
        // restarted peer: its releasing ResourceManager deletes the VIP, its acquiring one adds it back, it tells ours
        // "done", ours acquires, both hold until the next fault's partition (server2 lets go during it).
        var timeline = new Timeline().Hearing(0, 2.37).Hearing(6.15, 16.58)
            .Add(1, "server1")
            .Says(2.37, "server1", "resource", "none", "shutdown")
            .Add(2.405, "server1", added: false)
            .Says(2.42, "server1", "shutdone")
            .Add(5.926, "server2")
            .Says(6.1, "server1", "starting")
            .Says(6.15, "server2", "resource", "all")
            .Says(6.16, "server1", "resource", "none")
            .Says(6.3, "server2", "ask_resources", "foreign", "me")
            .Says(6.31, "server1", "ask_resources", "foreign", "other")
            .Says(6.35, "server2", "resource", "local", "standby")
            .Add(7.478, "server2", added: false)
            .Add(9.308, "server2")
            .Says(9.47, "server2", "ask_resources", "foreign", "done")
            .Add(9.51, "server1")
            .Says(9.6, "server2", "resource", "foreign", "mach_down")
            .Add(18.5, "server2", added: false);

        var violation = Assert.Single(Checker.DoubleHolders(timeline.Evidence(30), Timeline.Rules));

        Assert.Equal("server2", violation.Culprit);
        Assert.Contains("server1 acquired after server2's t=ask_resources rsc_hold=foreign info=done", violation.Detail, StringComparison.Ordinal);
        Assert.Contains("server2 acquired against server2's t=resource rsc_hold=local info=standby", violation.Detail, StringComparison.Ordinal);

        // Without the messages (the captures before the payload was recorded) the later acquirer, ours, was blamed.
        var headersOnly = timeline.Evidence(30) with { Receptions = [.. timeline.Receptions.Select(r => r with { Message = null })] };
        Assert.Equal("server1", Assert.Single(Checker.DoubleHolders(headersOnly, Timeline.Rules)).Culprit);
    }

    [Fact]
    public void Acquiring_after_the_peers_standby_request_or_release_is_handed_over()
    {
        var timeline = new Timeline().Says(1, "server2", "ask_resources", "all", "me");

        Assert.Equal(AcquisitionVerdict.HandedOver, Judge(timeline, "server1", 2));

        timeline.Says(2, "server1", "ask_resources", "all", "other").Says(3, "server2", "ask_resources", "all", "done");

        Assert.Equal(AcquisitionVerdict.HandedOver, Judge(timeline, "server1", 2.5));
        Assert.Equal(AcquisitionVerdict.HandedOver, Judge(timeline, "server1", 4));
    }

    [Fact]
    public void A_done_from_the_taker_says_it_holds_the_group()
    {
        // server1 goes standby, server2 takes and says done: server1 taking the group back then is against the messages.
        var timeline = new Timeline()
            .Says(1, "server1", "ask_resources", "all", "me")
            .Says(1.1, "server2", "ask_resources", "all", "other")
            .Says(2, "server1", "ask_resources", "all", "done")
            .Says(3, "server2", "ask_resources", "all", "done");

        Assert.Equal(AcquisitionVerdict.AgainstMessages, Judge(timeline, "server1", 4));
        Assert.Equal(AcquisitionVerdict.HandedOver, Judge(timeline, "server2", 2.5));
    }

    [Fact]
    public void Acquiring_while_the_peer_reports_a_takeover_or_after_going_standby_oneself_is_against_the_messages()
    {
        var takenOver = new Timeline().Says(1, "server2", "resource", "foreign", "mach_down");
        var goneStandby = new Timeline().Says(1, "server1", "ask_resources", "local", "me");

        Assert.Equal(AcquisitionVerdict.AgainstMessages, Judge(takenOver, "server1", 2));
        Assert.Equal(AcquisitionVerdict.AgainstMessages, Judge(goneStandby, "server1", 2));
    }

    [Fact]
    public void A_message_whose_class_does_not_cover_the_group_says_nothing_about_it()
    {
        // The group's home is server1. server1 going standby [foreign] gives only server2's home groups away; server2's
        // report while it goes standby [local] keeps "foreign", server1's group (a holdings report, which says nothing);
        // 3.0.6's answers name the class from the giver's side.
        var foreignStandby = new Timeline().Says(1, "server1", "ask_resources", "foreign", "me");
        var keptByGiver = new Timeline()
            .Says(1, "server2", "ask_resources", "local", "me")
            .Says(1.1, "server1", "ask_resources", "local", "other")
            .Says(1.2, "server2", "resource", "foreign", "standby");
        var givenAway = new Timeline()
            .Says(1, "server2", "ask_resources", "foreign", "me")
            .Says(1.1, "server1", "ask_resources", "foreign", "other")
            .Says(1.2, "server2", "resource", "local", "standby");

        Assert.Equal(AcquisitionVerdict.Unknown, Judge(foreignStandby, "server1", 2));
        Assert.Equal(AcquisitionVerdict.Unknown, Judge(keptByGiver, "server1", 2));
        Assert.Equal(AcquisitionVerdict.HandedOver, Judge(givenAway, "server1", 2));
    }

    [Fact]
    public void Status_and_plain_holdings_reports_say_nothing_and_the_acquirers_own_start_neither()
    {
        var timeline = new Timeline().Hearing(0, 5)
            .Says(1, "server1", "starting")
            .Says(1.1, "server2", "resource", "local")
            .Says(1.2, "server1", "resource", "none");

        Assert.Equal(AcquisitionVerdict.Unknown, Judge(timeline, "server1", 2));
        Assert.Equal(AcquisitionVerdict.HandedOver, Judge(timeline, "server2", 2));
    }

    [Fact]
    public void A_takeover_after_the_peer_fell_silent_for_longer_than_deadtime_goes_against_no_message()
    {
        // server2 said it holds the group, then went silent (a partition) for 5 s: server1's takeover at 8 s is a
        // dead peer's, not one against server2's word; while server2 was heard, it would have been.
        var timeline = new Timeline().Hearing(0, 3).Hearing(8.5, 12).Says(2, "server2", "resource", "foreign", "mach_down");

        Assert.Equal(AcquisitionVerdict.Unknown, Judge(timeline, "server1", 8));
        Assert.Equal(AcquisitionVerdict.AgainstMessages, Judge(timeline, "server1", 3.1));
    }

    [Fact]
    public void Messages_after_the_acquisition_or_between_other_nodes_do_not_count()
    {
        var timeline = new Timeline().Says(3, "server2", "resource", "foreign", "mach_down");
        timeline.Receptions.Add(new Reception(Timeline.T0 + 1, "server3", "server2", new HbMessage("ask_resources", "all", "me")));

        Assert.Equal(AcquisitionVerdict.Unknown, Judge(timeline, "server1", 2));
    }

    [Fact]
    public void Of_two_holders_the_one_against_the_messages_is_the_culprit_even_if_it_acquired_first()
    {
        // server1 took the VIP over while server2's last word was that it held it; server2 re-acquired later on a
        // standby request of server1 (no verdict tie): server1 is the culprit.
        var timeline = new Timeline().Hearing(0, 30)
            .Add(1, "server2")
            .Says(2, "server2", "resource", "foreign", "mach_down")
            .Add(3, "server1")
            .Says(4, "server1", "ask_resources", "all", "me")
            .Add(4.5, "server2", added: false)
            .Add(5, "server2");

        Assert.Equal("server1", Assert.Single(Checker.DoubleHolders(timeline.Evidence(30), Timeline.Rules)).Culprit);
    }

    private static AcquisitionVerdict Judge(Timeline timeline, string acquirer, double at) =>
        AcquisitionOrder.Judge(timeline.Receptions, acquirer, acquirer == "server1" ? "server2" : "server1", Timeline.T0 + at, Timeline.Rules.Deadtime.TotalSeconds).Verdict;
}
