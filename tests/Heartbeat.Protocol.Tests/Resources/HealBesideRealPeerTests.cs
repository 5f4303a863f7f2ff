using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Resources;
using Heartbeat.Protocol.Wire;
using Microsoft.Extensions.Time.Testing;

namespace Heartbeat.Protocol.Tests.Resources;

/// <summary>
/// A partition or stall healed beside a real 3.0.6 peer that did not restart: it keeps every group it claimed, so ours
/// asks for what is up on both nodes (hb_takeover, 3.0.6's own standby exchange), and yields if it will not give it.
/// </summary>
public class HealBesideRealPeerTests
{
    private const string G = "IPaddr2::10.10.10.51/24/ens18";
    private const string G1 = "IPaddr2::10.10.10.1/24/ens18";
    private const string G2 = "IPaddr2::10.10.10.11/24/ens18";

    /// <summary>The chaos campaign's pair: one group whose home is server1 (ours).</summary>
    private static readonly HaResources Campaign =
        HaResourcesParser.Parse("server1 IPaddr2::10.10.10.51/24/ens18 IPaddr2::10.10.10.52/24/ens18\n"u8, "haresources", ["server1", "server2"]).Value!;

    private static readonly HaResources TwoGroups =
        HaResourcesParser.Parse("server1 IPaddr2::10.10.10.1/24/ens18\nserver2 IPaddr2::10.10.10.11/24/ens18\n"u8, "haresources", ["server1", "server2"]).Value!;

    [Theory]
    [InlineData(AutoFailback.Off)]
    [InlineData(AutoFailback.On)]
    public void Seed_20261219_the_home_node_asks_a_stalled_real_peer_for_its_copy_and_keeps_holding_throughout(AutoFailback policy)
    {
        // Chaos seed 20261219, run 2 (ours+real): ours (server1, the home node) went standby, so 3.0.6 held the group;
        // 3.0.6 was stopped 4.9 s (deadtime 2 s); ours declared it dead and took the group. At the heal ours kept it
        // ("the home node keeps its group") and 3.0.6, which had not restarted, kept it too: on both for 10 s, until an
        // operator's takeover. Now ours asks for it with hb_takeover local; 3.0.6 runs hb_standby foreign.
        var time = new FakeTimeProvider();
        var server1 = HomeNodeThatWentStandby(time, policy);
        server1.PeerDied("server2");
        Complete(server1);
        Assert.Equal([G], server1.Held);

        server1.PartitionHealed("server2");
        var heal = Complete(server1);
        Assert.Equal(["announce " + G, PlannerBase.HealNoticeType, "hb_takeover local", "asked server2 local 1"], heal);
        Assert.True(server1.Healing);

        // 3.0.6's rc.d/hb_takeover: hb_standby foreign; its go_standby stops its copy, then says done.
        server1.Received("server2", Ask("foreign", "me"));
        Assert.Equal(["ask_resources foreign other"], Complete(server1));
        server1.Received("server2", Report("local", stable: "0", info: "standby"));
        server1.Received("server2", Ask("foreign", "done"));
        var end = Complete(server1);
        // Announced when the peer's standby report drops its claim and again once its copy is gone (clients that followed a
        // 3.0.6 ARP come back). The taker's report
        // still names the foreign class its mach_down claimed (3.0.6's bookkeeping); the heal's own report, once
        // settled, names only what is held.
        Assert.Equal(["announce " + G, "announce " + G, "resource all", "ask_resources foreign done", "resource local"], end);
        Assert.False(server1.Healing);
        Assert.Equal([G], server1.Held);

        // Nothing is asked again and nothing is given up when the heal's fallback would have run out.
        time.Advance(PlannerBase.HealFallback + TimeSpan.FromSeconds(5));
        server1.Tick();
        Assert.Empty(Complete(server1));
        Assert.Null(server1.NextTimerIn);
        Assert.Equal([G], server1.Held);
    }

    [Fact]
    public void A_real_peer_that_will_not_give_its_copy_is_asked_again_and_ours_yields_at_the_fallback()
    {
        var time = new FakeTimeProvider();
        var server1 = HealedBesideStalledPeer(time);

        // 3.0.6 ignores it ("standby message [me] from server2 ignored. Other side is in flux."): asked every 5 s.
        Assert.Equal(ResourcePlanner.HealTakeoverRetry, server1.NextTimerIn);
        var asked = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            time.Advance(ResourcePlanner.HealTakeoverRetry);
            server1.Tick();
            asked.AddRange(Complete(server1));
        }

        Assert.Equal(["hb_takeover local", "asked server2 local 2", "hb_takeover local", "asked server2 local 3", "hb_takeover local", "asked server2 local 4",
            "hb_takeover local", "asked server2 local 5", "hb_takeover local", "asked server2 local 6"], asked);

        // At the fallback it still claims the group: ours gives its copy up (3.0.6's answer: the side that saw the
        // partition gives everything up), so the group is up once, on the peer.
        time.Advance(TimeSpan.FromSeconds(5.1));
        server1.Tick();
        Assert.Equal(["release " + G, "resource none"], Complete(server1));
        Assert.Empty(server1.Held);
        Assert.False(server1.Healing);
        Assert.Null(server1.NextTimerIn);
    }

    [Fact]
    public void A_real_peer_restarting_after_the_heal_ends_the_request_and_ours_keeps_the_group()
    {
        var time = new FakeTimeProvider();
        var server1 = HealedBesideStalledPeer(time);

        // It saw the partition too: 3.0.6 restarts itself and first says it holds nothing.
        server1.Received("server2", Report("none", stable: "0", info: "shutdown"));
        server1.PeerShutDown("server2");
        var after = Complete(server1);
        time.Advance(PlannerBase.HealFallback + TimeSpan.FromSeconds(5));
        server1.Tick();
        after.AddRange(Complete(server1));
        Assert.DoesNotContain(after, a => a.StartsWith("release", StringComparison.Ordinal) || a.StartsWith("hb_takeover", StringComparison.Ordinal));
        Assert.Equal([G], server1.Held);
        Assert.Null(server1.NextTimerIn);
    }

    [Fact]
    public void A_real_peer_that_claims_nothing_held_here_keeps_nothing_from_us_at_the_fallback()
    {
        // 3.0.6 server2 went standby: everything is on server1 and server2 claims none. Before, the fallback released
        // server1's copy of server2's home group 30 s after the heal although server2 did not hold it: no holder at all.
        var time = new FakeTimeProvider();
        var server1 = BesideRealPeerHoldingItsGroup(time);
        server1.Received("server2", Ask("all", "me"));
        server1.Received("server2", Ask("all", "done"));
        server1.Received("server2", Report("none", stable: "1"));
        Complete(server1);
        Assert.Equal(2, server1.Held.Count);

        server1.PeerDied("server2");
        Complete(server1);
        server1.PartitionHealed("server2");
        Assert.Equal(["announce " + G1, PlannerBase.HealNoticeType], Complete(server1));
        time.Advance(PlannerBase.HealFallback + TimeSpan.FromSeconds(1));
        server1.Tick();
        Assert.Equal(["resource all"], Complete(server1));
        Assert.False(server1.Healing);
        Assert.Equal(2, server1.Held.Count);
        Assert.Contains(G2, server1.Held);
    }

    [Fact]
    public void Seed_20261221_a_real_peer_that_takes_everything_over_after_the_heal_is_asked_for_it()
    {
        // Chaos seed 20261221, run 2: 3.0.6 had just restarted (it claims none) when it was stopped past the deadtime;
        // ours took the group and at the heal nothing was up twice. Woken, 3.0.6 declared ours dead and took the group
        // over (its mach_down report): on both nodes for 52 s, until an operator's takeover.
        var time = new FakeTimeProvider();
        var server1 = HomeNodeBesideRealPeerHoldingNothing(time);
        Assert.Equal([G], server1.Held);
        server1.PeerDied("server2");
        Complete(server1);
        server1.PartitionHealed("server2");
        Assert.Equal(["announce " + G, PlannerBase.HealNoticeType], Complete(server1));

        time.Advance(TimeSpan.FromSeconds(1));
        server1.Received("server2", new HaMessage([HaField.String("t", "resource"), HaField.String("rsc_hold", "foreign"), HaField.String("info", "mach_down")]));
        Assert.Equal(["hb_takeover local", "asked server2 local 1"], Complete(server1));
        server1.Received("server2", Ask("foreign", "me"));
        server1.Received("server2", Report("none", stable: "0", info: "standby"));
        server1.Received("server2", Ask("foreign", "done"));
        Assert.Equal(["ask_resources foreign other", "announce " + G, "announce " + G, "resource all", "ask_resources foreign done", "resource local"], Complete(server1));
        Assert.False(server1.Healing);
        Assert.Equal([G], server1.Held);
    }

    [Fact]
    public void A_real_peer_claiming_more_after_the_heal_is_asked_for_the_wider_class()
    {
        // 3.0.6 server2 held its own group; stalled past the deadtime, it declares server1 dead when it wakes and its
        // mach_down takes server1's group too: it then claims all, and is asked for all.
        var time = new FakeTimeProvider();
        var server1 = BesideRealPeerHoldingItsGroup(time);
        Assert.Equal([G1], server1.Held);
        server1.PeerDied("server2");
        Complete(server1);
        server1.PartitionHealed("server2");
        Assert.Equal(["announce " + G1, PlannerBase.HealNoticeType, "hb_takeover foreign", "asked server2 foreign 1"], Complete(server1));

        server1.Received("server2", new HaMessage([HaField.String("t", "resource"), HaField.String("rsc_hold", "foreign"), HaField.String("info", "mach_down")]));
        Assert.Equal(["hb_takeover all", "asked server2 all 2"], Complete(server1));

        server1.Received("server2", Ask("all", "me"));
        server1.Received("server2", Report("none", stable: "0", info: "standby"));
        server1.Received("server2", Ask("all", "done"));
        Assert.Equal(["ask_resources all other", "announce " + G1, "announce " + G2, "announce " + G1, "announce " + G2, "resource all", "ask_resources all done", "resource all"], Complete(server1));
        Assert.False(server1.Healing);
        Assert.Equal(2, server1.Held.Count);
        time.Advance(PlannerBase.HealFallback + TimeSpan.FromSeconds(5));
        server1.Tick();
        Assert.Empty(Complete(server1));
    }

    [Fact]
    public void Seed_20261223_our_group_is_announced_again_when_a_real_peer_drops_its_claim_on_it()
    {
        // Seed 20261223 run 2: ours held its group throughout; 3.0.6, cut from hearing ours (one-way), took it over with
        // its own ARP (mach_down), then on hearing ours again restarted and deleted its copy without an ARP: clients
        // kept its MAC for 47 s. Its restart's report (none, shutdown) now makes ours announce the group.
        var time = new FakeTimeProvider();
        var server1 = HomeNodeBesideRealPeerHoldingNothing(time);
        server1.Received("server2", new HaMessage([HaField.String("t", "resource"), HaField.String("rsc_hold", "foreign"), HaField.String("info", "mach_down")]));
        Assert.Empty(Complete(server1));
        server1.Received("server2", Report("none", stable: "0", info: "shutdown"));
        Assert.Equal(["announce " + G], Complete(server1));
        Assert.Equal([G], server1.Held);
    }

    [Fact]
    public void A_peer_of_ours_is_not_asked_it_settles_with_its_notice()
    {
        var time = new FakeTimeProvider();
        var server1 = new ResourcePlanner("server1", Campaign, AutoFailback.Off, time);
        server1.CommunicationUp([], anyPeerAlive: true);
        server1.Received("server2", new HaMessage([HaField.String("t", "starting"), HaField.String(PlannerBase.ImplementationField, "1")]));
        server1.Received("server2", new HaMessage([HaField.String("t", "resource"), HaField.String("rsc_hold", "all"), HaField.String("rtype", "full"),
            HaField.String("isstable", "1"), HaField.String(PlannerBase.ImplementationField, "1")]));
        Complete(server1);
        server1.PeerDied("server2");
        Complete(server1);
        server1.PartitionHealed("server2");
        Assert.Equal(["announce " + G, PlannerBase.HealNoticeType], Complete(server1));
        server1.Received("server2", new HaMessage([HaField.String("t", PlannerBase.HealNoticeType)]));
        Complete(server1);
        Assert.False(server1.Healing);
        Assert.Equal([G], server1.Held);
    }

    /// <summary>
    /// server1 (ours, the group's home) beside a real 3.0.6 server2: both start, server1 takes its group, then goes
    /// standby (hb_standby all) so that server2 holds it and reports all.
    /// </summary>
    private static ResourcePlanner HomeNodeThatWentStandby(FakeTimeProvider time, AutoFailback policy = AutoFailback.Off)
    {
        var server1 = new ResourcePlanner("server1", Campaign, policy, time);
        server1.CommunicationUp([], anyPeerAlive: true);
        server1.Received("server2", new HaMessage([HaField.String("t", "starting")]));
        server1.Received("server2", Report("none", stable: "1"));
        Complete(server1);
        Assert.Equal([G], server1.Held);

        Assert.Null(server1.RequestStandby(HoldSet.All));
        server1.Received("server2", Ask("all", "other"));
        Complete(server1);
        server1.Received("server2", Report("all", stable: "1"));
        server1.Received("server2", Ask("all", "done"));
        Complete(server1);
        Assert.Empty(server1.Held);
        Assert.Equal(HoldSet.All, server1.PeerReports);
        return server1;
    }

    /// <summary>server1 (ours, the campaign group's home) stable and holding it beside a real 3.0.6 server2 that holds nothing.</summary>
    private static ResourcePlanner HomeNodeBesideRealPeerHoldingNothing(FakeTimeProvider time)
    {
        var server1 = new ResourcePlanner("server1", Campaign, AutoFailback.Off, time);
        server1.CommunicationUp([], anyPeerAlive: true);
        server1.Received("server2", new HaMessage([HaField.String("t", "starting")]));
        server1.Received("server2", Report("none", stable: "1"));
        Complete(server1);
        return server1;
    }

    /// <summary>server1 (ours) stable beside a real 3.0.6 server2, each holding its home group (two groups).</summary>
    private static ResourcePlanner BesideRealPeerHoldingItsGroup(FakeTimeProvider time)
    {
        var server1 = new ResourcePlanner("server1", TwoGroups, AutoFailback.Off, time);
        server1.CommunicationUp([], anyPeerAlive: true);
        server1.Received("server2", new HaMessage([HaField.String("t", "starting")]));
        server1.Received("server2", Report("local", stable: "1"));
        Complete(server1);
        return server1;
    }

    /// <summary><see cref="HomeNodeThatWentStandby"/>, then server2 stalls past the deadtime and is heard again: the heal has begun.</summary>
    private static ResourcePlanner HealedBesideStalledPeer(FakeTimeProvider time)
    {
        var server1 = HomeNodeThatWentStandby(time);
        server1.PeerDied("server2");
        Complete(server1);
        server1.PartitionHealed("server2");
        Complete(server1);
        return server1;
    }

    private static HaMessage Ask(string set, string info) =>
        new([HaField.String("t", "ask_resources"), HaField.String("rsc_hold", set), HaField.String("info", info)]);

    private static HaMessage Report(string hold, string stable, string? info = null) =>
        new([HaField.String("t", "resource"), HaField.String("rsc_hold", hold), HaField.String("rtype", "full"), HaField.String("isstable", stable),
            .. info is null ? Array.Empty<HaField>() : [HaField.String("info", info)]]);

    /// <summary>Completes every group action at once; returns what was sent (type, rsc_hold, info), released, announced and logged.</summary>
    private static List<string> Complete(ResourcePlanner planner) =>
        PlannerDriver.Complete(planner, body => body.Type == ResourceMessages.Resource
            ? $"resource {body.GetString("rsc_hold")}"
            : $"{body.Type} {body.GetString("rsc_hold")} {body.GetString("info")}".TrimEnd());
}
