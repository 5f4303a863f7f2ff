using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Resources;
using Heartbeat.Protocol.Wire;
using Microsoft.Extensions.Time.Testing;

namespace Heartbeat.Protocol.Tests.Resources;

/// <summary>The nice_failback negotiation against the sequences of tests/vectors/captures/behaviour-*.pcap.</summary>
public class ResourcePlannerTests
{
    // behaviour.md's "2 groups" layout: one group per node.
    private const string TwoGroups = "server1 IPaddr2::10.10.10.1/24/ens18 Trace::g1a\nserver2 IPaddr2::10.10.10.11/24/ens18 Trace::g2a\n";

    // Address-only groups: what two nodes may briefly both hold (make-before-break).
    private const string AddressGroups = "server1 IPaddr2::10.10.10.1/24/ens18\nserver2 IPaddr2::10.10.10.11/24/ens18\n";

    [Theory]
    [InlineData(AutoFailback.On)]
    [InlineData(AutoFailback.Off)]
    public void Both_starting_wait_the_fixed_10_s_then_take_their_own_groups(AutoFailback policy)
    {
        // Against a real 3.0.6 peer (no hbnet marker on its messages) the wait stays.
        var pair = new PlannerPair(TwoGroups, policy) { AsReal306 = true };
        pair.Up("server1", alive: true);
        pair.Up("server2", alive: true);
        pair.Exchange();
        Assert.Equal(["starting", "resource none 0"], pair.Wire("server1").Take(2));
        Assert.Empty(pair.Held("server1"));

        pair.Run(TimeSpan.FromSeconds(9.9));
        Assert.Empty(pair.Held("server1"));
        Assert.True(pair.Planners["server1"].InTransition);
        pair.Run(TimeSpan.FromSeconds(0.2));
        Assert.Equal(["IPaddr2::10.10.10.1/24/ens18"], pair.Held("server1"));
        Assert.Equal(["IPaddr2::10.10.10.11/24/ens18"], pair.Held("server2"));
        Assert.Equal(HoldSet.Local, pair.Planners["server1"].Holding);
        Assert.Contains("resource local 1 req_our_resources()", pair.Wire("server1"));
        Assert.False(pair.Planners["server2"].InTransition);
    }

    [Fact]
    public void A_node_joining_a_peer_that_holds_everything_takes_nothing_with_failback_off()
    {
        var pair = new PlannerPair(TwoGroups, AutoFailback.Off);
        pair.Up("server2", alive: false, dead: ["server1"]);
        pair.Run(TimeSpan.FromSeconds(10.1));
        Assert.Equal(2, pair.Held("server2").Count);
        Assert.Equal(HoldSet.All, pair.Planners["server2"].Holding);
        pair.Planners["server2"].PeerReturned("server1");
        pair.ClearWire();

        // behaviour-rejoin-failback-off: starting → resource all isstable=1 → none isstable=0, none isstable=1.
        pair.Up("server1", alive: true);
        pair.Exchange();
        Assert.Contains("resource all 1", pair.Wire("server2"));
        Assert.Empty(pair.Held("server1"));
        Assert.Equal(HoldSet.None, pair.Planners["server1"].Holding);
        Assert.Equal(PlannerState.Stable, pair.Planners["server1"].State);
        Assert.Contains("resource none 1 req_our_resources()", pair.Wire("server1"));
    }

    [Fact]
    public void A_dead_peers_groups_are_taken_with_the_messages_of_a_306_survivor()
    {
        var pair = StablePair(AutoFailback.On);

        // behaviour-crash-on: stonith n_stnth, resource all … req_our_resources(), resource foreign info=mach_down.
        pair.Planners["server2"].PeerDied("server1");
        pair.Exchange(only: "server2");
        Assert.Equal(["stonith server1 n_stnth", "resource all 1 req_our_resources()", "resource foreign mach_down"], pair.Wire("server2"));
        Assert.Equal(2, pair.Held("server2").Count);
    }

    [Fact]
    public void A_graceful_leave_reports_none_stops_every_group_and_the_peer_takes_over_at_once()
    {
        var pair = StablePair(AutoFailback.On);

        // behaviour-shutdown-on: resource none isstable=0 info=shutdown, every group stopped (held or not), shutdone.
        pair.Planners["server1"].BeginShutdown();
        pair.Exchange();
        Assert.Equal("resource none 0 shutdown", pair.Wire("server1")[0]);
        Assert.Equal(["IPaddr2::10.10.10.1/24/ens18", "IPaddr2::10.10.10.11/24/ens18"], pair.Released["server1"]);
        Assert.True(pair.Left["server1"]);
        Assert.Empty(pair.Held("server1"));

        pair.Planners["server2"].PeerShutDown("server1");
        pair.Exchange(only: "server2");
        Assert.Equal(2, pair.Held("server2").Count);

        // Declared dead later, after it handed over: no reset is needed.
        pair.Planners["server2"].PeerDied("server1");
        pair.Exchange(only: "server2");
        Assert.Contains("stonith server1 unneeded", pair.Wire("server2"));
    }

    [Fact]
    public void A_lone_node_takes_every_group_at_once_and_stays_in_transition_for_the_delay()
    {
        // behaviour-startup-alone-initdead: the peer declared dead at initdead, then every VIP up 0.6 s later.
        var pair = new PlannerPair(TwoGroups, AutoFailback.On);
        pair.Up("server1", alive: false, dead: ["server2"]);
        pair.Exchange(only: "server1");
        Assert.Equal(2, pair.Held("server1").Count);
        Assert.True(pair.Planners["server1"].InTransition, "rscstatus says transition during the 10 s timer");
        pair.Run(TimeSpan.FromSeconds(10.1));
        Assert.Equal(2, pair.Held("server1").Count);
        Assert.Equal(HoldSet.All, pair.Planners["server1"].Holding);
        Assert.False(pair.Planners["server1"].InTransition);
    }

    [Fact]
    public void Hb_standby_all_moves_everything_with_the_three_phase_exchange()
    {
        var pair = StablePair(AutoFailback.On);

        // behaviour-hb_standby-all: me / other / resource none 0 standby / done / resource all 1 + done / none 1 twice.
        Assert.Null(pair.Planners["server1"].RequestStandby(HoldSet.All));
        pair.Exchange();
        Assert.Equal(["ask_resources all me", "resource none 0 standby", "ask_resources all done", "resource none 1", "resource none 1"], pair.Wire("server1"));
        Assert.Equal(["ask_resources all other", "resource all 1", "ask_resources all done"], pair.Wire("server2"));
        Assert.Empty(pair.Held("server1"));
        Assert.Equal(2, pair.Held("server2").Count);
        Assert.False(pair.Planners["server1"].InTransition);
        Assert.False(pair.Planners["server2"].InTransition);
    }

    [Fact]
    public void Hb_takeover_foreign_makes_the_peer_go_standby_local()
    {
        var pair = StablePair(AutoFailback.Off);

        // behaviour-hb_takeover-foreign: server1 asks for server2's groups; server2 runs hb_standby local.
        pair.Planners["server1"].RequestTakeover("foreign");
        pair.Exchange();
        Assert.Equal("ask_resources local me", pair.Wire("server2")[0]);
        Assert.Equal(2, pair.Held("server1").Count);
        Assert.Empty(pair.Held("server2"));
    }

    [Fact]
    public void With_failback_on_the_holder_of_foreign_groups_hands_them_back_when_the_home_node_is_stable()
    {
        var pair = new PlannerPair(TwoGroups, AutoFailback.On);
        pair.Up("server1", alive: false, dead: ["server2"]);
        pair.Run(TimeSpan.FromSeconds(10.1));
        Assert.Equal(2, pair.Held("server1").Count);
        pair.Planners["server1"].PeerReturned("server2");
        pair.ClearWire();

        // behaviour-join-after-initdead-failback-on: starting, resource all 1, none 0, none 1, then ask_resources foreign me.
        pair.Up("server2", alive: true);
        pair.Exchange();
        Assert.Contains("ask_resources foreign me", pair.Wire("server1"));
        Assert.Equal(["IPaddr2::10.10.10.1/24/ens18"], pair.Held("server1"));
        Assert.Equal(["IPaddr2::10.10.10.11/24/ens18"], pair.Held("server2"));
    }

    [Fact]
    public void A_standby_request_without_an_answer_is_cancelled_after_10_s()
    {
        var pair = StablePair(AutoFailback.On);
        Assert.Null(pair.Planners["server1"].RequestStandby(HoldSet.All));
        pair.Planners["server1"].Drain(); // the request never reaches the peer
        Assert.Equal("standby in progress", pair.Planners["server1"].RequestStandby(HoldSet.All));
        pair.Run(TimeSpan.FromSeconds(10.5));
        Assert.False(pair.Planners["server1"].StandbyInProgress);
        Assert.Equal(["IPaddr2::10.10.10.1/24/ens18"], pair.Held("server1"));
    }

    [Theory]
    [InlineData(AutoFailback.On)]
    [InlineData(AutoFailback.Off)]
    public void Between_two_of_ours_both_starting_skips_the_10_s_wait(AutoFailback policy)
    {
        var pair = new PlannerPair(TwoGroups, policy);
        pair.Up("server1", alive: true);
        pair.Up("server2", alive: true);
        pair.Exchange();
        Assert.Equal(["IPaddr2::10.10.10.1/24/ens18"], pair.Held("server1"));
        Assert.Equal(["IPaddr2::10.10.10.11/24/ens18"], pair.Held("server2"));
        Assert.True(pair.Planners["server1"].PeerIsOurs);
        Assert.Contains("resource local 1 req_our_resources()", pair.Wire("server2"));

        // The 3.0.6 messages are all still on the wire (a real node reading along sees the usual exchange).
        Assert.Equal(["starting", "resource none 0"], pair.Wire("server1").Take(2));
    }

    [Theory]
    [InlineData(AutoFailback.On)]
    [InlineData(AutoFailback.Off)]
    public void A_healed_partition_is_settled_in_place_each_home_node_announces_before_the_other_releases(AutoFailback policy)
    {
        var pair = StablePair(policy);

        // The partition: each side declares the other dead and takes its groups (the messages are lost).
        pair.Cut.UnionWith(["server1", "server2"]);
        pair.Planners["server1"].PeerDied("server2");
        pair.Planners["server2"].PeerDied("server1");
        pair.Exchange();
        Assert.Equal(2, pair.Held("server1").Count);
        Assert.Equal(2, pair.Held("server2").Count);
        pair.Cut.Clear();
        pair.ClearWire();

        // The heal, seen first by server1: it re-announces its home group, then tells server2.
        pair.Planners["server1"].PartitionHealed("server2");
        var commands = pair.Planners["server1"].Drain();
        Assert.Equal(new AnnounceGroup("IPaddr2::10.10.10.1/24/ens18", "partition healed: the home node keeps its group"), commands[0]);
        Assert.DoesNotContain(commands, c => c is SendClusterMessage);
        pair.Planners["server1"].GroupAnnounced("IPaddr2::10.10.10.1/24/ens18");
        pair.Exchange();

        Assert.Equal(["IPaddr2::10.10.10.1/24/ens18"], pair.Held("server1"));
        Assert.Equal(["IPaddr2::10.10.10.11/24/ens18"], pair.Held("server2"));
        Assert.Equal(["IPaddr2::10.10.10.11/24/ens18"], pair.Announced["server2"]);
        Assert.Equal(["IPaddr2::10.10.10.1/24/ens18"], pair.Released["server2"]);
        Assert.Equal(["IPaddr2::10.10.10.11/24/ens18"], pair.Released["server1"]);
        Assert.Equal(HoldSet.Local, pair.Planners["server1"].Holding);
        Assert.Equal(HoldSet.Local, pair.Planners["server2"].Holding);
        Assert.False(pair.Planners["server1"].Healing);
        Assert.False(pair.Planners["server2"].Healing);
        Assert.Contains("resource local 1", pair.Wire("server1"));

        // Nothing else happens later: no failback standby, no restart.
        pair.Run(TimeSpan.FromSeconds(15));
        Assert.Equal(["IPaddr2::10.10.10.1/24/ens18"], pair.Held("server1"));
        Assert.Equal(["IPaddr2::10.10.10.11/24/ens18"], pair.Held("server2"));
    }

    [Fact]
    public void A_node_resumed_after_a_stall_announces_its_held_home_groups_only_and_sends_nothing()
    {
        // server2 holds both groups (server1 joined later with failback off), so it holds one foreign group.
        var pair = new PlannerPair(TwoGroups, AutoFailback.Off);
        pair.Up("server2", alive: false, dead: ["server1"]);
        pair.Run(TimeSpan.FromSeconds(10.1));
        pair.Planners["server2"].PeerReturned("server1");
        pair.Up("server1", alive: true);
        pair.Exchange();
        Assert.Equal(2, pair.Held("server2").Count);
        pair.Planners["server2"].Drain();

        // Frozen past the deadtime: the home group is announced again (the peer may hold a copy that it is about to
        // delete without an ARP); the foreign one is left to the heal rules; nothing goes on the wire.
        pair.Planners["server2"].ResumedAfterStall();
        var commands = pair.Planners["server2"].Drain();
        var announce = Assert.IsType<AnnounceGroup>(Assert.Single(commands));
        Assert.Equal("IPaddr2::10.10.10.11/24/ens18", announce.Key);
        Assert.Contains("stall", announce.Reason, StringComparison.Ordinal);
        pair.Planners["server2"].GroupAnnounced(announce.Key);
        Assert.Empty(pair.Planners["server2"].Drain());
        Assert.Equal(2, pair.Held("server2").Count);

        // A node that holds nothing, or has not started placing, has nothing to announce.
        pair.Planners["server1"].ResumedAfterStall();
        Assert.Empty(pair.Planners["server1"].Drain());
        var starting = new PlannerPair(TwoGroups, AutoFailback.On);
        starting.Planners["server1"].ResumedAfterStall();
        Assert.Empty(starting.Planners["server1"].Drain());
    }

    [Fact]
    public void A_heal_seen_by_one_side_only_is_settled_too()
    {
        var pair = StablePair(AutoFailback.Off);

        // One-way loss: only server2 declared server1 dead and took its group.
        pair.Cut.Add("server1");
        pair.Planners["server2"].PeerDied("server1");
        pair.Exchange();
        pair.Cut.Clear();
        Assert.Equal(2, pair.Held("server2").Count);

        pair.Planners["server2"].PartitionHealed("server1");
        pair.Exchange();
        Assert.Equal(["IPaddr2::10.10.10.1/24/ens18"], pair.Held("server1"));
        Assert.Equal(["IPaddr2::10.10.10.11/24/ens18"], pair.Held("server2"));
        Assert.Equal(["IPaddr2::10.10.10.1/24/ens18"], pair.Announced["server1"]);
    }

    [Fact]
    public void A_real_peer_that_never_answers_the_heal_gets_its_groups_back_after_the_fallback()
    {
        var pair = StablePair(AutoFailback.On);
        pair.Cut.Add("server1");
        pair.Planners["server2"].PeerDied("server1");
        pair.Exchange();
        Assert.Null(pair.Planners["server2"].NextTimerIn);
        pair.Planners["server2"].PartitionHealed("server1");
        pair.Exchange();
        Assert.Equal(2, pair.Held("server2").Count);

        // The daemon sleeps until the planner's next timer: the fallback, one clock tick past "more than 30 s".
        Assert.Equal(PlannerBase.HealFallback + TimeSpan.FromTicks(1), pair.Planners["server2"].NextTimerIn);
        pair.Run(PlannerBase.HealFallback - TimeSpan.FromSeconds(1));
        Assert.Equal(2, pair.Held("server2").Count);
        Assert.Equal(TimeSpan.FromSeconds(1) + TimeSpan.FromTicks(1), pair.Planners["server2"].NextTimerIn);
        pair.Run(TimeSpan.FromSeconds(1.5));
        Assert.Equal(["IPaddr2::10.10.10.11/24/ens18"], pair.Held("server2"));
        Assert.Null(pair.Planners["server2"].NextTimerIn);
    }

    [Fact]
    public void A_real_peer_restarting_after_the_heal_leaves_us_the_single_holder()
    {
        var pair = StablePair(AutoFailback.On);
        pair.Cut.Add("server1");
        pair.Planners["server2"].PeerDied("server1");
        pair.Exchange();
        pair.Planners["server2"].PartitionHealed("server1");
        pair.Exchange();

        // 3.0.6 restarts itself: resource none info=shutdown, its groups stopped, shutdone.
        pair.Planners["server2"].Received("server1", new HaMessage([HaField.String("t", "resource"), HaField.String("rsc_hold", "none"), HaField.String("rtype", "full"), HaField.String("isstable", "0"), HaField.String("info", "shutdown")]));
        pair.Planners["server2"].PeerShutDown("server1");
        pair.Run(PlannerBase.HealFallback + TimeSpan.FromSeconds(1));
        Assert.Equal(2, pair.Held("server2").Count);
        Assert.Empty(pair.Released["server2"]);
    }

    [Fact]
    public void A_group_that_fails_to_start_is_handed_to_the_peer_once_with_a_standby_of_its_class()
    {
        var pair = new PlannerPair(TwoGroups, AutoFailback.On) { FailStarts = { ["server1"] = "IPaddr2::10.10.10.1/24/ens18" } };
        pair.Up("server1", alive: true);
        pair.Up("server2", alive: true);
        pair.Exchange();
        pair.Run(TimeSpan.FromSeconds(0.5));

        // server1 could not start its home group: it gives its local class to server2 (3.0.6: foreign, after 30 s).
        Assert.Contains("ask_resources local me", pair.Wire("server1"));
        Assert.Empty(pair.Held("server1"));
        Assert.Equal(2, pair.Held("server2").Count);

        // server2 holds it now; it is not asked back by auto_failback (server1 chose to give it up).
        pair.Run(TimeSpan.FromSeconds(15));
        Assert.Equal(2, pair.Held("server2").Count);
    }

    [Fact]
    public void A_group_failing_on_both_nodes_does_not_bounce()
    {
        var pair = new PlannerPair(TwoGroups, AutoFailback.On)
        {
            FailStarts = { ["server1"] = "IPaddr2::10.10.10.1/24/ens18", ["server2"] = "IPaddr2::10.10.10.1/24/ens18" },
        };
        pair.Up("server1", alive: true);
        pair.Up("server2", alive: true);
        pair.Exchange();
        pair.Run(TimeSpan.FromSeconds(30));
        int asks = pair.Wire("server1").Concat(pair.Wire("server2")).Count(m => m.EndsWith(" me", StringComparison.Ordinal));
        Assert.InRange(asks, 1, 2);
        Assert.False(pair.Planners["server1"].StandbyInProgress || pair.Planners["server2"].StandbyInProgress);
    }

    [Fact]
    public void Between_two_of_ours_a_standby_starts_the_address_groups_on_the_taker_before_the_giver_stops_them()
    {
        var pair = StablePair(AutoFailback.On, asReal: false);
        Assert.Null(pair.Planners["server1"].RequestStandby(HoldSet.Local));
        pair.Exchange();
        int acquired = pair.Actions.IndexOf("server2 acquire IPaddr2::10.10.10.1/24/ens18");
        int released = pair.Actions.IndexOf("server1 release IPaddr2::10.10.10.1/24/ens18");
        Assert.InRange(acquired, 0, released - 1);
        Assert.Equal(2, pair.Held("server2").Count);
        Assert.Equal(["ask_resources local me", "resource none 0 standby", "ask_resources local done", "resource none 1", "resource none 1"], pair.Wire("server1"));
        Assert.Equal(["ask_resources local other", "resource all 1", "ask_resources local done"], pair.Wire("server2"));
    }

    [Fact]
    public void Against_a_real_peer_the_standby_stays_break_before_make()
    {
        var pair = StablePair(AutoFailback.On, asReal: true);
        Assert.Null(pair.Planners["server1"].RequestStandby(HoldSet.Local));
        pair.Exchange();
        int acquired = pair.Actions.IndexOf("server2 acquire IPaddr2::10.10.10.1/24/ens18");
        int released = pair.Actions.IndexOf("server1 release IPaddr2::10.10.10.1/24/ens18");
        Assert.InRange(released, 0, acquired - 1);
    }

    [Fact]
    public void Between_two_of_ours_a_leaving_node_keeps_its_addresses_until_the_peer_has_them()
    {
        var pair = StablePair(AutoFailback.On, asReal: false);
        pair.Planners["server1"].BeginShutdown();
        pair.Exchange();
        int acquired = pair.Actions.IndexOf("server2 acquire IPaddr2::10.10.10.1/24/ens18");
        int released = pair.Actions.IndexOf("server1 release IPaddr2::10.10.10.1/24/ens18");
        Assert.InRange(acquired, 0, released - 1);
        Assert.True(pair.Left["server1"]);
        Assert.Equal("resource none 0 shutdown", pair.Wire("server1")[0]);
        Assert.Contains(PlannerBase.TookOverType, pair.Wire("server2"));
    }

    [Fact]
    public void A_leaving_node_whose_peer_never_takes_over_lets_go_after_the_wait()
    {
        var pair = StablePair(AutoFailback.On, asReal: false);
        pair.Cut.Add("server1");
        pair.Planners["server1"].BeginShutdown();
        pair.Exchange();
        Assert.False(pair.Left["server1"]);
        Assert.Contains("IPaddr2::10.10.10.1/24/ens18", pair.Held("server1"));
        Assert.Equal(PlannerBase.MakeBeforeBreakWait, pair.Planners["server1"].NextTimerIn);
        pair.Run(PlannerBase.MakeBeforeBreakWait + TimeSpan.FromMilliseconds(200));
        Assert.True(pair.Left["server1"]);
        Assert.Empty(pair.Held("server1"));
    }

    [Fact]
    public void A_home_group_left_up_by_a_quick_restart_is_kept_when_the_peer_does_not_hold_it()
    {
        var pair = StablePair(AutoFailback.On, asReal: false);
        pair.Planners["server2"].PeerReturned("server1"); // server1 crashed and is back within the deadtime
        var restarted = new ResourcePlanner("server1", pair.Resources, AutoFailback.On, pair.Time);
        pair.Planners["server1"] = restarted;
        restarted.AdoptLeftovers(["IPaddr2::10.10.10.1/24/ens18"]);
        pair.Up("server1", alive: true);
        pair.Exchange();
        Assert.Equal(["IPaddr2::10.10.10.1/24/ens18"], pair.Held("server1"));
        Assert.DoesNotContain("server1 release IPaddr2::10.10.10.1/24/ens18", pair.Actions);
    }

    [Theory]
    [InlineData(AutoFailback.Off)]
    [InlineData(AutoFailback.On)]
    public void A_home_group_left_up_is_released_when_the_peer_reports_holding_it_then_placed_by_the_policy(AutoFailback policy)
    {
        var pair = StablePair(policy, asReal: false);
        pair.Planners["server2"].PeerDied("server1");
        pair.Exchange();
        Assert.Equal(2, pair.Held("server2").Count);
        pair.Planners["server2"].PeerReturned("server1");
        var restarted = new ResourcePlanner("server1", pair.Resources, policy, pair.Time);
        pair.Planners["server1"] = restarted;
        restarted.AdoptLeftovers(["IPaddr2::10.10.10.1/24/ens18"]);
        pair.Actions.Clear();
        pair.Up("server1", alive: true);
        pair.Exchange();
        pair.Run(TimeSpan.FromSeconds(5));

        // The copy left by the killed run goes first (the peer holds the group); the report follows the release (it
        // never went out before, so with auto_failback on the peer never handed the group back).
        Assert.Contains("server1 release IPaddr2::10.10.10.1/24/ens18", pair.Actions);
        Assert.Contains("resource none 1 req_our_resources()", pair.Wire("server1"));
        if (policy == AutoFailback.On)
        {
            Assert.Equal(["IPaddr2::10.10.10.1/24/ens18"], pair.Held("server1"));
            Assert.Equal(["IPaddr2::10.10.10.11/24/ens18"], pair.Held("server2"));
        }
        else
        {
            Assert.Empty(pair.Held("server1"));
            Assert.Equal(2, pair.Held("server2").Count);
        }
    }

    private static PlannerPair StablePair(AutoFailback policy, bool asReal, string haresources = AddressGroups)
    {
        var pair = new PlannerPair(haresources, policy) { AsReal306 = asReal };
        pair.Up("server1", alive: true);
        pair.Up("server2", alive: true);
        pair.Exchange();
        pair.Run(TimeSpan.FromSeconds(10.1));
        pair.ClearWire();
        pair.Actions.Clear();
        return pair;
    }

    private static PlannerPair StablePair(AutoFailback policy)
    {
        var pair = new PlannerPair(TwoGroups, policy);
        pair.Up("server1", alive: true);
        pair.Up("server2", alive: true);
        pair.Exchange();
        pair.Run(TimeSpan.FromSeconds(10.1));
        pair.ClearWire();
        return pair;
    }

    [Fact]
    public void Legacy_is_not_this_planners_protocol()
    {
        var resources = HaResourcesParser.Parse(System.Text.Encoding.ASCII.GetBytes(TwoGroups), "haresources", ["server1", "server2"]).Value!;
        Assert.Throws<ArgumentException>(() => new ResourcePlanner("server1", resources, AutoFailback.Legacy, TimeProvider.System));
    }

    /// <summary>Two planners; messages are delivered by hand; group actions complete at once.</summary>
    private sealed class PlannerPair
    {
        private readonly FakeTimeProvider _time = new();

        public FakeTimeProvider Time => _time;

        public HaResources Resources { get; }
        private readonly Dictionary<string, List<string>> _wire = [];
        private readonly Dictionary<string, List<HaMessage>> _outbox = [];

        public PlannerPair(string haresources, AutoFailback policy)
        {
            var resources = HaResourcesParser.Parse(System.Text.Encoding.ASCII.GetBytes(haresources), "haresources", ["server1", "server2"]).Value!;
            Resources = resources;
            foreach (string node in (string[])["server1", "server2"])
            {
                Planners[node] = new ResourcePlanner(node, resources, policy, _time);
                _wire[node] = [];
                _outbox[node] = [];
                Released[node] = [];
                Left[node] = false;
            }
        }

        public Dictionary<string, ResourcePlanner> Planners { get; } = [];

        public Dictionary<string, List<string>> Released { get; } = [];

        public Dictionary<string, bool> Left { get; } = [];

        public Dictionary<string, List<string>> Announced { get; } = new() { ["server1"] = [], ["server2"] = [] };

        /// <summary>Delivered messages lose our marker, as if each peer were a real 3.0.6 node.</summary>
        public bool AsReal306 { get; init; }

        /// <summary>Every group action of both nodes, in the order issued ("server1 release KEY").</summary>
        public List<string> Actions { get; } = [];

        /// <summary>Per node, a group whose every start fails there.</summary>
        public Dictionary<string, string> FailStarts { get; } = [];

        /// <summary>Nodes whose messages are not delivered (one side of a partition).</summary>
        public HashSet<string> Cut { get; } = [];

        public void Up(string node, bool alive, string[]? dead = null) => Planners[node].CommunicationUp(dead ?? [], alive);

        public List<string> Wire(string node) => _wire[node];

        public List<string> Held(string node) => [.. Planners[node].Held.Order(StringComparer.Ordinal)];

        public void ClearWire()
        {
            foreach (var list in _wire.Values)
            {
                list.Clear();
            }
        }

        public void Run(TimeSpan duration)
        {
            var end = _time.GetUtcNow() + duration;
            while (_time.GetUtcNow() < end)
            {
                _time.Advance(TimeSpan.FromMilliseconds(100));
                foreach (var planner in Planners.Values)
                {
                    planner.Tick();
                }

                Exchange();
            }
        }

        public void Exchange(string? only = null)
        {
            for (int round = 0; round < 50; round++)
            {
                bool any = false;
                foreach (var (name, planner) in Planners)
                {
                    foreach (var command in planner.Drain())
                    {
                        any = true;
                        switch (command)
                        {
                            case SendClusterMessage send:
                                _wire[name].Add(Describe(send.Body));
                                if (only is null && !Cut.Contains(name))
                                {
                                    string other = name == "server1" ? "server2" : "server1";
                                    var body = AsReal306 ? new HaMessage([.. send.Body.Fields.Where(f => f.Name != PlannerBase.ImplementationField)]) : send.Body;
                                    Planners[other].Received(name, body);
                                }

                                break;
                            case AcquireGroup acquire:
                                Actions.Add($"{name} acquire {acquire.Key}");
                                planner.GroupStarted(acquire.Key, success: FailStarts.GetValueOrDefault(name) != acquire.Key);
                                break;
                            case ReleaseGroup release:
                                Actions.Add($"{name} release {release.Key}");
                                Released[name].Add(release.Key);
                                planner.GroupStopped(release.Key);
                                break;
                            case AnnounceGroup announce:
                                Announced[name].Add(announce.Key);
                                planner.GroupAnnounced(announce.Key);
                                break;
                            case ReadyToLeave:
                                Left[name] = true;
                                break;
                        }
                    }
                }

                if (!any)
                {
                    return;
                }
            }
        }

        private static string Describe(HaMessage m) => m.Type switch
        {
            "resource" => string.Join(' ', new[] { "resource", m.GetString("rsc_hold"), m.GetString("isstable"), m.GetString("info") }.Where(x => x is not null)),
            "stonith" => $"stonith {m.GetString("node")} {m.GetString("result")}",
            "ask_resources" => $"ask_resources {m.GetString("rsc_hold")} {m.GetString("info")}",
            PlannerBase.HealNoticeType => "healed",
            PlannerBase.TookOverType => PlannerBase.TookOverType,
            _ => m.Type ?? "?",
        };
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
        var first = Complete(server1);
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
        Complete(server2);
        Assert.Equal(["IPaddr2::10.10.10.11/24/ens18"], server2.Held);
        Assert.Equal(HoldSet.None, server2.Holding); // rscstatus always none in legacy
    }

    [Fact]
    public void A_rejoining_home_node_gets_its_group_back_after_the_holder_stops_it()
    {
        var server2 = new LegacyResourcePlanner("server2", Resources, TimeProvider.System);
        server2.CommunicationUp(["server1"], anyPeerAlive: false);
        Complete(server2);
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
        Complete(server2);
        server2.PeerDied("server1");
        Assert.Equal(["stonith server1 n_stnth"], Complete(server2));
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
        Complete(server1);
        Complete(server2);
        Assert.Equal(2, server1.Held.Count);
        Assert.Equal(2, server2.Held.Count);

        server1.PartitionHealed("server2");
        var first = Complete(server1);
        Assert.Equal(["announce IPaddr2::10.10.10.1/24/ens18", PlannerBase.HealNoticeType], first);
        var notice = new HaMessage([HaField.String("t", PlannerBase.HealNoticeType)]);
        server2.Received("server1", notice);
        var second = Complete(server2);
        // server1 has announced its group already, so server2 releases its copy at once; its own notice follows its announcement.
        Assert.Equal(["announce IPaddr2::10.10.10.11/24/ens18", "release IPaddr2::10.10.10.1/24/ens18", PlannerBase.HealNoticeType], second);
        server1.Received("server2", notice);
        Assert.Equal(["release IPaddr2::10.10.10.11/24/ens18"], Complete(server1));
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
        Complete(server2);
        server2.PeerReturned("server1");
        var selfGrant = new HaMessage([HaField.String("t", "ip-request-resp"), HaField.String("dest", "server1"),
            HaField.String("ipaddr", "IPaddr2::10.10.10.1/24/ens18"), HaField.String("weown", "yes"), HaField.String("ok", "OK")]);

        server2.Overheard("server1", selfGrant);
        Assert.Equal(["release IPaddr2::10.10.10.1/24/ens18"], Complete(server2));
        Assert.Equal(["IPaddr2::10.10.10.11/24/ens18"], server2.Held);

        // A grant for someone else's group, or one addressed to a third node, changes nothing.
        server2.Overheard("server1", new HaMessage([HaField.String("t", "ip-request-resp"), HaField.String("dest", "server1"),
            HaField.String("ipaddr", "IPaddr2::10.10.10.11/24/ens18"), HaField.String("weown", "yes"), HaField.String("ok", "OK")]));
        server2.Overheard("server1", new HaMessage([HaField.String("t", "ip-request-resp"), HaField.String("dest", "server3"),
            HaField.String("ipaddr", "IPaddr2::10.10.10.11/24/ens18"), HaField.String("ok", "OK")]));
        Assert.Empty(Complete(server2));
        Assert.Equal(["IPaddr2::10.10.10.11/24/ens18"], server2.Held);
    }

    /// <summary>Completes every group action at once; returns the messages sent, abbreviated.</summary>
    private static List<string> Complete(LegacyResourcePlanner planner)
    {
        var sent = new List<string>();
        for (var commands = planner.Drain(); commands.Count > 0; commands = planner.Drain())
        {
            foreach (var command in commands)
            {
                switch (command)
                {
                    case SendClusterMessage s when s.Body.Type == "stonith":
                        sent.Add($"stonith {s.Body.GetString("node")} {s.Body.GetString("result")}");
                        break;
                    case SendClusterMessage s:
                        sent.Add($"{s.Body.Type} {s.Body.GetString("dest")} {s.Body.GetString("ipaddr")} {s.Body.GetString("weown")}".TrimEnd());
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
