using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Node;
using Heartbeat.Protocol.Resources;
using static Heartbeat.Protocol.Tests.Node.NodeHarness;

namespace Heartbeat.Protocol.Tests.Node;

/// <summary>Takeover on death and on a graceful leave, partitions and stalls, through whole nodes.</summary>
public class FailoverTests
{
    public static TheoryData<AutoFailback, string[]> Deaths => new()
    {
        // behaviour-crash-on: stonith n_stnth, resource all … req_our_resources(), resource foreign info=mach_down.
        { AutoFailback.On, ["stonith server1 n_stnth", "resource all 1 req_our_resources()", "resource foreign mach_down"] },
        { AutoFailback.Off, ["stonith server1 n_stnth", "resource all 1 req_our_resources()", "resource foreign mach_down"] },
        { AutoFailback.Legacy, ["stonith server1 n_stnth"] },
    };

    [Theory]
    [MemberData(nameof(Deaths))]
    public void A_dead_peers_groups_are_taken_with_the_messages_of_a_306_survivor(AutoFailback policy, string[] wire)
    {
        var lab = StablePair(policy);
        lab.Crash("server1");
        lab.Run(TimeSpan.FromSeconds(1.5));
        Assert.Contains(lab.Events["server2"], e => e is NodeDead { Node: "server1" });
        Assert.Equal(wire, lab.Wire("server2"));
        Assert.Equal([G1, G2], lab.Held("server2"));
        var takeover = Assert.Single(lab.Requests["server2"]);
        Assert.Equal((G1, GroupAction.Acquire, GroupCause.PeerDead, "peer dead", true), (takeover.Key, takeover.Action, takeover.Cause, takeover.Reason, takeover.IsTakeover));
        Assert.Equal(1, lab.Nodes["server2"].Takeovers);
    }

    [Theory]
    [InlineData(AutoFailback.On, "resource none 0 shutdown")]
    [InlineData(AutoFailback.Off, "resource none 0 shutdown")]
    [InlineData(AutoFailback.Legacy, MessageTypes.ShutdownDone)]
    public void A_graceful_leave_stops_every_group_then_sends_shutdone_and_the_peer_takes_over_at_once(AutoFailback policy, string first)
    {
        var lab = StablePair(policy);
        lab.Nodes["server1"].BeginLeave();
        lab.Settle();

        // behaviour-shutdown-on: resource none isstable=0 info=shutdown, every group stopped (held or not), shutdone.
        Assert.Equal(first, lab.Wire("server1")[0]);
        Assert.Equal(MessageTypes.ShutdownDone, lab.Wire("server1")[^1]);
        Assert.Equal(["release Shutdown"], lab.RequestsFor("server1", G1));
        Assert.Equal(["release Shutdown"], lab.RequestsFor("server1", G2));
        Assert.Empty(lab.Held("server1"));
        Assert.True(lab.Nodes["server1"].ShutdoneSent);

        // The peer takes over on the shutdone, no deadtime wait.
        Assert.Contains(lab.Events["server2"], e => e is ShutdownNotice { Node: "server1" });
        Assert.Equal([G1, G2], lab.Held("server2"));
        var takeover = Assert.Single(lab.Requests["server2"]);
        Assert.Equal((GroupCause.PeerShutDown, "peer shut down", true), (takeover.Cause, takeover.Reason, takeover.IsTakeover));
        lab.Run(TimeSpan.FromMilliseconds(300));
        Assert.Contains("server1", lab.Down);

        // Declared dead later, after it handed over: no reset is needed.
        lab.Run(TimeSpan.FromSeconds(2));
        Assert.DoesNotContain(lab.Wire("server2"), m => m.StartsWith("stonith server1 n_stnth", StringComparison.Ordinal));
    }

    [Fact]
    public void Between_two_of_ours_a_leaving_node_keeps_its_addresses_until_the_peer_has_them()
    {
        var lab = StablePair(AutoFailback.On, AddressGroups);
        lab.Nodes["server1"].BeginLeave();
        lab.Settle();
        int acquired = lab.Actions.IndexOf("server2 acquire " + G1);
        int released = lab.Actions.IndexOf("server1 release " + G1);
        Assert.InRange(acquired, 0, released - 1);
        Assert.Equal("resource none 0 shutdown", lab.Wire("server1")[0]);
        Assert.Contains(PlannerBase.TookOverType, lab.Wire("server2"));
        Assert.Equal(MessageTypes.ShutdownDone, lab.Wire("server1")[^1]);

        // Taken ahead of the leave, then only announced again at the shutdone: not counted as a takeover.
        Assert.Equal(["acquire PeerLeaving", "announce PeerShutDown"], lab.RequestsFor("server2", G1));
        Assert.Equal(0, lab.Nodes["server2"].Takeovers);
    }

    [Fact]
    public void A_leaving_node_whose_peer_never_takes_over_lets_go_after_the_wait()
    {
        var lab = StablePair(AutoFailback.On, AddressGroups);
        lab.Cut("server1", "server2", oneWay: true);
        lab.Nodes["server1"].BeginLeave();
        lab.Settle();
        Assert.False(lab.Nodes["server1"].ShutdoneSent);
        Assert.Contains(G1, lab.Held("server1"));
        lab.Run(PlannerBase.MakeBeforeBreakWait - TimeSpan.FromMilliseconds(100));
        Assert.Contains(G1, lab.Held("server1"));
        lab.Run(TimeSpan.FromMilliseconds(200));
        Assert.True(lab.Nodes["server1"].ShutdoneSent);
        Assert.Empty(lab.Held("server1"));
        Assert.Contains("release Shutdown", lab.RequestsFor("server1", G1));
    }

    public static TheoryData<AutoFailback, bool> Partitions => new()
    {
        { AutoFailback.On, false },
        { AutoFailback.Off, false },
        { AutoFailback.Legacy, false },
        { AutoFailback.On, true },
        { AutoFailback.Off, true },
    };

    [Theory]
    [MemberData(nameof(Partitions))]
    public void A_healed_partition_is_settled_in_place_each_home_node_announces_before_the_other_releases(AutoFailback policy, bool oneWay)
    {
        var lab = StablePair(policy);
        lab.Cut("server1", "server2", oneWay);
        lab.Run(TimeSpan.FromSeconds(2));
        Assert.Equal(2, lab.Held("server2").Count);
        Assert.Equal(oneWay ? 1 : 2, lab.Held("server1").Count);
        lab.Blocked.Clear();
        lab.ClearRecords();

        // Heard again with the same generation: no restart, each home node keeps its group and re-announces it.
        lab.Run(TimeSpan.FromSeconds(2));
        Assert.Contains(lab.Events["server2"], e => e is NodeReturnedAfterPartition { Node: "server1" });
        Assert.Equal([G1], lab.Held("server1"));
        Assert.Equal([G2], lab.Held("server2"));
        Assert.Equal(["release PartitionHeal"], lab.RequestsFor("server2", G1));
        Assert.Equal(["announce PartitionHeal"], lab.RequestsFor("server1", G1));
        int announced = lab.Actions.IndexOf("server1 announce " + G1);
        int released = lab.Actions.IndexOf("server2 release " + G1);
        Assert.InRange(announced, 0, released - 1);
        Assert.Contains("healed", lab.Wire("server1"));
        Assert.Contains("healed", lab.Wire("server2"));
        Assert.DoesNotContain(lab.Wire("server1").Concat(lab.Wire("server2")), m => m == MessageTypes.ShutdownDone);

        // Nothing else happens later: no failback standby, no restart.
        lab.Run(TimeSpan.FromSeconds(15));
        Assert.Equal([G1], lab.Held("server1"));
        Assert.Equal([G2], lab.Held("server2"));
        Assert.False(lab.Nodes["server1"].InTransition || lab.Nodes["server2"].InTransition);
    }

    [Fact]
    public void A_node_stalled_beyond_the_deadtime_announces_its_home_group_and_the_peer_gives_its_copy_back()
    {
        var lab = StablePair(AutoFailback.On);
        lab.Frozen.Add("server1");
        lab.Run(TimeSpan.FromSeconds(2));
        Assert.Equal(2, lab.Held("server2").Count);
        lab.Frozen.Clear();
        lab.ClearRecords();

        lab.Run(TimeSpan.FromSeconds(2));
        Assert.Contains(lab.Events["server1"], e => e is LocalStall { BeyondDeadtime: true });
        Assert.Equal("announce Stall", lab.RequestsFor("server1", G1)[0]);
        Assert.Equal(["release PartitionHeal"], lab.RequestsFor("server2", G1));
        Assert.Equal([G1], lab.Held("server1"));
        Assert.Equal([G2], lab.Held("server2"));
    }

    [Fact]
    public void A_lone_node_resumed_after_a_stall_announces_its_held_home_groups_only_and_sends_nothing()
    {
        var lab = new NodeHarness(AutoFailback.Off);
        lab.Start("server2");
        lab.Run(TimeSpan.FromSeconds(13));
        Assert.Equal(2, lab.Held("server2").Count);
        lab.ClearRecords();

        // Frozen past the deadtime: the home group is announced again (a peer may hold a copy that it is about to
        // delete without an ARP); the foreign one is left to the heal rules; nothing goes on the wire.
        lab.Frozen.Add("server2");
        lab.Run(TimeSpan.FromSeconds(2));
        lab.Frozen.Clear();
        lab.Run(TimeSpan.FromSeconds(1));
        var announce = Assert.Single(lab.Requests["server2"]);
        Assert.Equal((G2, GroupAction.Announce, GroupCause.Stall), (announce.Key, announce.Action, announce.Cause));
        Assert.Contains("stall", announce.Reason, StringComparison.Ordinal);
        Assert.Empty(lab.Wire("server2"));
        Assert.Equal(2, lab.Held("server2").Count);
    }
}
