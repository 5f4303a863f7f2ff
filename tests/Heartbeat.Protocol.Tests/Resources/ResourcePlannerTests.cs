using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Resources;
using Heartbeat.Protocol.Wire;
using Microsoft.Extensions.Time.Testing;

namespace Heartbeat.Protocol.Tests.Resources;

/// <summary>
/// The nice_failback planner on its own, where a whole node cannot stage the case (a real peer that never answers).
/// The negotiation's scenarios between two nodes are in Node/ (PlacementTests, FailoverTests, StandbyTests).
/// </summary>
public class ResourcePlannerTests
{
    private const string G1 = "IPaddr2::10.10.10.1/24/ens18";
    private const string G2 = "IPaddr2::10.10.10.11/24/ens18";

    private static readonly HaResources Resources =
        HaResourcesParser.Parse("server1 IPaddr2::10.10.10.1/24/ens18\nserver2 IPaddr2::10.10.10.11/24/ens18\n"u8, "haresources", ["server1", "server2"]).Value!;

    [Fact]
    public void Legacy_is_not_this_planners_protocol() =>
        Assert.Throws<ArgumentException>(() => new ResourcePlanner("server1", Resources, AutoFailback.Legacy, TimeProvider.System));

    [Fact]
    public void A_standby_request_without_an_answer_is_cancelled_after_10_s()
    {
        var time = new FakeTimeProvider();
        var server2 = StableBesideRealPeer(time);
        Assert.Null(server2.RequestStandby(HoldSet.All));
        server2.Drain(); // the request never reaches the peer
        Assert.Equal("standby in progress", server2.RequestStandby(HoldSet.All));
        time.Advance(TimeSpan.FromSeconds(10.5));
        server2.Tick();
        Assert.False(server2.StandbyInProgress);
        Assert.Equal([G2], server2.Held);
    }

    [Fact]
    public void A_real_peer_that_never_answers_the_heal_gets_its_groups_back_after_the_fallback()
    {
        var time = new FakeTimeProvider();
        var server2 = StableBesideRealPeer(time);
        server2.PeerDied("server1");
        PlannerDriver.Complete(server2);
        Assert.Null(server2.NextTimerIn);
        server2.PartitionHealed("server1");
        // It still claims its group, which we took; with auto_failback on it is not asked for (it would be handed back).
        Assert.Equal(["announce " + G2, PlannerBase.HealNoticeType], PlannerDriver.Complete(server2));
        Assert.Equal(2, server2.Held.Count);

        // The daemon sleeps until the planner's next timer: the fallback, one clock tick past "more than 30 s".
        Assert.Equal(PlannerBase.HealFallback + TimeSpan.FromTicks(1), server2.NextTimerIn);
        time.Advance(PlannerBase.HealFallback - TimeSpan.FromSeconds(1));
        server2.Tick();
        Assert.Empty(PlannerDriver.Complete(server2));
        Assert.Equal(TimeSpan.FromSeconds(1) + TimeSpan.FromTicks(1), server2.NextTimerIn);
        time.Advance(TimeSpan.FromSeconds(1.5));
        server2.Tick();
        // The heal is settled: a fresh full report puts the peer's view right.
        Assert.Equal(["release " + G1, "resource"], PlannerDriver.Complete(server2));
        Assert.Equal([G2], server2.Held);
        Assert.Null(server2.NextTimerIn);
    }

    [Fact]
    public void A_real_peer_restarting_after_the_heal_leaves_us_the_single_holder()
    {
        var time = new FakeTimeProvider();
        var server2 = StableBesideRealPeer(time);
        server2.PeerDied("server1");
        PlannerDriver.Complete(server2);
        server2.PartitionHealed("server1");
        PlannerDriver.Complete(server2);

        // 3.0.6 restarts itself: resource none info=shutdown, its groups stopped, shutdone.
        server2.Received("server1", new HaMessage([HaField.String("t", "resource"), HaField.String("rsc_hold", "none"), HaField.String("rtype", "full"), HaField.String("isstable", "0"), HaField.String("info", "shutdown")]));
        server2.PeerShutDown("server1");
        var afterLeave = PlannerDriver.Complete(server2);
        time.Advance(PlannerBase.HealFallback + TimeSpan.FromSeconds(1));
        server2.Tick();
        afterLeave.AddRange(PlannerDriver.Complete(server2));
        Assert.Equal(2, server2.Held.Count);
        Assert.DoesNotContain(afterLeave, a => a.StartsWith("release", StringComparison.Ordinal));
    }

    /// <summary>server2 stable beside a real 3.0.6 server1 that reported its local class, holding its own group.</summary>
    private static ResourcePlanner StableBesideRealPeer(FakeTimeProvider time)
    {
        var server2 = new ResourcePlanner("server2", Resources, AutoFailback.On, time);
        server2.CommunicationUp([], anyPeerAlive: true);
        server2.Received("server1", new HaMessage([HaField.String("t", "starting")]));
        server2.Received("server1", new HaMessage([HaField.String("t", "resource"), HaField.String("rsc_hold", "local"), HaField.String("rtype", "full"), HaField.String("isstable", "1")]));
        PlannerDriver.Complete(server2);
        Assert.Equal(PlannerState.Stable, server2.State);
        Assert.Equal([G2], server2.Held);
        return server2;
    }
}

/// <summary>auto_failback legacy against behaviour-startup-both-legacy-2groups, -rejoin-legacy, -crash-legacy, -shutdown-legacy.</summary>
public class LegacyResourcePlannerTests
{
    private const string TwoGroups = "server1 IPaddr2::10.10.10.1/24/ens18\nserver2 IPaddr2::10.10.10.11/24/ens18\n";

    private static readonly HaResources Resources =
        HaResourcesParser.Parse(System.Text.Encoding.ASCII.GetBytes(TwoGroups), "haresources", ["server1", "server2"]).Value!;

    [Fact]
    public void The_first_node_grants_itself_the_second_asks_and_is_answered_weown_no()
    {
        var server1 = new LegacyResourcePlanner("server1", Resources, TimeProvider.System);
        var server2 = new LegacyResourcePlanner("server2", Resources, TimeProvider.System);
        server1.CommunicationUp([], anyPeerAlive: false);
        var first = PlannerDriver.Complete(server1);
        Assert.Equal(["ip-request-resp server1 IPaddr2::10.10.10.1/24/ens18 yes"], first);
        Assert.Equal(["IPaddr2::10.10.10.1/24/ens18"], server1.Held);

        server2.CommunicationUp([], anyPeerAlive: true);
        var ask = Assert.Single(server2.Drain().OfType<SendClusterMessage>()).Body;
        Assert.Equal(("ip-request", "IPaddr2::10.10.10.11/24/ens18"), (ask.Type, ask.GetString("ipaddr")));
        server1.Received("server2", ask);
        var answer = Assert.Single(server1.Drain().OfType<SendClusterMessage>()).Body;
        Assert.Equal(["t", "dest", "ipaddr", "weown", "ok"], answer.Fields.Select(f => f.Name));
        Assert.Equal(("server2", "no", "OK"), (answer.GetString("dest"), answer.GetString("weown"), answer.GetString("ok")));
        server2.Received("server1", answer);
        PlannerDriver.Complete(server2);
        Assert.Equal(["IPaddr2::10.10.10.11/24/ens18"], server2.Held);
        Assert.Equal(HoldSet.None, server2.Holding); // rscstatus always none in legacy
    }

    [Fact]
    public void A_rejoining_home_node_gets_its_group_back_after_the_holder_stops_it()
    {
        var server2 = new LegacyResourcePlanner("server2", Resources, TimeProvider.System);
        server2.CommunicationUp(["server1"], anyPeerAlive: false);
        PlannerDriver.Complete(server2);
        Assert.Equal(2, server2.Held.Count);

        server2.PeerReturned("server1");
        server2.Received("server1", new HaMessage([HaField.String("t", "ip-request"), HaField.String("ipaddr", "IPaddr2::10.10.10.1/24/ens18")]));
        var commands = server2.Drain();
        Assert.Equal(["IPaddr2::10.10.10.1/24/ens18"], commands.OfType<ReleaseGroup>().Select(r => r.Key));
        Assert.Empty(commands.OfType<SendClusterMessage>()); // the answer waits for the stop
        server2.GroupStopped("IPaddr2::10.10.10.1/24/ens18");
        var answer = Assert.Single(server2.Drain().OfType<SendClusterMessage>()).Body;
        Assert.Equal(("server1", "yes"), (answer.GetString("dest"), answer.GetString("weown")));
    }

    [Fact]
    public void Death_is_answered_with_stonith_and_a_takeover_a_leave_with_stopped_groups_only()
    {
        var server2 = new LegacyResourcePlanner("server2", Resources, TimeProvider.System);
        server2.CommunicationUp([], anyPeerAlive: false);
        PlannerDriver.Complete(server2);
        server2.PeerDied("server1");
        Assert.Equal(["fence server1 needed"], PlannerDriver.Complete(server2));
        Assert.Equal(2, server2.Held.Count);

        server2.BeginShutdown();
        var leave = server2.Drain();
        Assert.Empty(leave.OfType<SendClusterMessage>()); // only shutdone goes on the wire (sent by membership)
        Assert.Equal(2, leave.OfType<ReleaseGroup>().Count());
        foreach (var release in leave.OfType<ReleaseGroup>())
        {
            server2.GroupStopped(release.Key);
        }

        Assert.Single(server2.Drain().OfType<ReadyToLeave>());
    }

    [Fact]
    public void A_healed_partition_is_settled_in_place_announce_then_notice_then_release()
    {
        var server1 = new LegacyResourcePlanner("server1", Resources, TimeProvider.System);
        var server2 = new LegacyResourcePlanner("server2", Resources, TimeProvider.System);
        server1.CommunicationUp(["server2"], anyPeerAlive: false);
        server2.CommunicationUp(["server1"], anyPeerAlive: false);
        PlannerDriver.Complete(server1);
        PlannerDriver.Complete(server2);
        Assert.Equal(2, server1.Held.Count);
        Assert.Equal(2, server2.Held.Count);

        server1.PartitionHealed("server2");
        var first = PlannerDriver.Complete(server1);
        Assert.Equal(["announce IPaddr2::10.10.10.1/24/ens18", PlannerBase.HealNoticeType], first);
        var notice = new HaMessage([HaField.String("t", PlannerBase.HealNoticeType)]);
        server2.Received("server1", notice);
        var second = PlannerDriver.Complete(server2);
        // server1 has announced its group already, so server2 releases its copy at once; its own notice follows its announcement.
        Assert.Equal(["announce IPaddr2::10.10.10.11/24/ens18", "release IPaddr2::10.10.10.1/24/ens18", PlannerBase.HealNoticeType], second);
        server1.Received("server2", notice);
        Assert.Equal(["release IPaddr2::10.10.10.11/24/ens18"], PlannerDriver.Complete(server1));
        Assert.Equal(["IPaddr2::10.10.10.1/24/ens18"], server1.Held);
        Assert.Equal(["IPaddr2::10.10.10.11/24/ens18"], server2.Held);
        Assert.False(server1.Healing || server2.Healing);
    }

    [Fact]
    public void A_home_node_that_grants_itself_its_group_gets_it_and_our_copy_goes()
    {
        // server2 took server1's group when server1 died; server1 restarts and, seeing no active peer yet, grants
        // itself the group (3.0.6's self-addressed ip-request-resp) instead of asking.
        var server2 = new LegacyResourcePlanner("server2", Resources, TimeProvider.System);
        server2.CommunicationUp(["server1"], anyPeerAlive: false);
        PlannerDriver.Complete(server2);
        server2.PeerReturned("server1");
        var selfGrant = new HaMessage([HaField.String("t", "ip-request-resp"), HaField.String("dest", "server1"),
            HaField.String("ipaddr", "IPaddr2::10.10.10.1/24/ens18"), HaField.String("weown", "yes"), HaField.String("ok", "OK")]);

        server2.Overheard("server1", selfGrant);
        Assert.Equal(["release IPaddr2::10.10.10.1/24/ens18"], PlannerDriver.Complete(server2));
        Assert.Equal(["IPaddr2::10.10.10.11/24/ens18"], server2.Held);

        // A grant for someone else's group, or one addressed to a third node, changes nothing.
        server2.Overheard("server1", new HaMessage([HaField.String("t", "ip-request-resp"), HaField.String("dest", "server1"),
            HaField.String("ipaddr", "IPaddr2::10.10.10.11/24/ens18"), HaField.String("weown", "yes"), HaField.String("ok", "OK")]));
        server2.Overheard("server1", new HaMessage([HaField.String("t", "ip-request-resp"), HaField.String("dest", "server3"),
            HaField.String("ipaddr", "IPaddr2::10.10.10.11/24/ens18"), HaField.String("ok", "OK")]));
        Assert.Empty(PlannerDriver.Complete(server2));
        Assert.Equal(["IPaddr2::10.10.10.11/24/ens18"], server2.Held);
    }
}

public class PlannerQuirkTests
{
    [Fact]
    public void A_node_without_home_groups_reports_local_only_when_the_peer_did_not_hold_its_class()
    {
        // behaviour-startup-both-on (1 group): server2 has no groups and reports local after the 10 s wait.
        var oneGroup = HaResourcesParser.Parse("server1 IPaddr2::10.10.10.1/24/ens18\n"u8, "haresources", ["server1", "server2"]).Value!;
        var time = new FakeTimeProvider();
        var server2 = new ResourcePlanner("server2", oneGroup, AutoFailback.On, time);
        server2.CommunicationUp([], anyPeerAlive: true);
        server2.Received("server1", new HaMessage([HaField.String("t", "starting")]));
        time.Advance(TimeSpan.FromSeconds(10.1));
        server2.Tick();
        Assert.Equal(HoldSet.Local, server2.Holding);

        // Rejoining while the peer holds everything (its "all" covers our class): nothing acquired, none reported, or a
        // real peer logs "Both machines own foreign resources!".
        var server1 = new ResourcePlanner("server1", new HaResources([]), AutoFailback.On, time);
        server1.CommunicationUp([], anyPeerAlive: true);
        server1.Received("server2", new HaMessage([HaField.String("t", "resource"), HaField.String("rsc_hold", "all"), HaField.String("rtype", "full"), HaField.String("isstable", "1")]));
        Assert.Equal(HoldSet.None, server1.Holding);
        var reports = server1.Drain().OfType<SendClusterMessage>().Select(c => c.Body).Where(b => b.Type == "resource").ToList();
        Assert.All(reports, r => Assert.Equal("none", r.GetString("rsc_hold")));
    }

    [Fact]
    public void A_standby_takeover_claims_the_class_taken_even_without_groups()
    {
        // A converted node with no groups rejoins a real peer that holds "all"; the peer hands "foreign" back. Reporting
        // none afterwards makes a real peer log "No one owns foreign resources!".
        var time = new FakeTimeProvider();
        var server1 = new ResourcePlanner("server1", new HaResources([]), AutoFailback.On, time);
        server1.CommunicationUp([], anyPeerAlive: true);
        server1.Received("server2", new HaMessage([HaField.String("t", "resource"), HaField.String("rsc_hold", "all"), HaField.String("rtype", "full"), HaField.String("isstable", "1")]));
        server1.Received("server2", new HaMessage([HaField.String("t", "ask_resources"), HaField.String("rsc_hold", "foreign"), HaField.String("info", "me")]));
        server1.Received("server2", new HaMessage([HaField.String("t", "ask_resources"), HaField.String("rsc_hold", "foreign"), HaField.String("info", "done")]));
        Assert.Equal(HoldSet.Local, server1.Holding);
        var last = server1.Drain().OfType<SendClusterMessage>().Select(c => c.Body).Last(b => b.Type == "resource");
        Assert.Equal(("local", "1"), (last.GetString("rsc_hold"), last.GetString("isstable")));
    }
}

/// <summary>Drives one planner by hand: what a node would do with its commands, every group action done at once.</summary>
internal static class PlannerDriver
{
    /// <summary>Completes every group action at once; returns the messages sent, abbreviated (by <paramref name="describe"/> if given).</summary>
    public static List<string> Complete(PlannerBase planner, Func<HaMessage, string>? describe = null)
    {
        describe ??= body => $"{body.Type} {body.GetString("dest")} {body.GetString("ipaddr")} {body.GetString("weown")}".TrimEnd();
        var sent = new List<string>();
        for (var commands = planner.Drain(); commands.Count > 0; commands = planner.Drain())
        {
            foreach (var command in commands)
            {
                switch (command)
                {
                    case FenceDecision f:
                        sent.Add($"fence {f.Peer} {(f.Needed ? "needed" : "unneeded")}");
                        break;
                    case SendClusterMessage s:
                        sent.Add(describe(s.Body));
                        break;
                    case PeerAskedToYield a:
                        sent.Add($"asked {a.Peer} {a.Set} {a.Attempt}");
                        break;
                    case AcquireGroup a:
                        planner.GroupStarted(a.Key, success: true);
                        break;
                    case ReleaseGroup r:
                        sent.Add($"release {r.Key}");
                        planner.GroupStopped(r.Key);
                        break;
                    case AnnounceGroup n:
                        sent.Add($"announce {n.Key}");
                        planner.GroupAnnounced(n.Key);
                        break;
                }
            }
        }

        return sent;
    }
}
