using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Node;
using Heartbeat.Protocol.Resources;
using static Heartbeat.Protocol.Tests.Node.NodeHarness;

namespace Heartbeat.Protocol.Tests.Node;

/// <summary>hb_standby and hb_takeover (<c>hbctl standby/takeover</c>) asked of server1, through whole nodes.</summary>
public class StandbyTests
{
    [Theory]
    [InlineData("standby", "all", "going standby: giving all groups to the peer", "", "G1 G2")]
    [InlineData("standby", "local", "going standby: giving local groups to the peer", "", "G1 G2")]
    [InlineData("standby", "foreign", "going standby: giving foreign groups to the peer", "G1", "G2")]
    [InlineData("standby", "failback", "going standby: giving foreign groups to the peer", "G1", "G2")]
    [InlineData("standby", null, "going standby: giving all groups to the peer", "", "G1 G2")]
    [InlineData("takeover", "all", "asked the peer to go standby so that this node takes all", "G1 G2", "")]
    [InlineData("takeover", "local", "asked the peer to go standby so that this node takes local", "G1", "G2")]
    [InlineData("takeover", "foreign", "asked the peer to go standby so that this node takes foreign", "G1 G2", "")]
    [InlineData("takeover", "failback", "asked the peer to go standby so that this node takes failback", "G1 G2", "")] // 3.0.6's quirk: the peer goes standby all
    public void Standby_and_takeover_move_the_sets_of_3_0_6(string command, string? argument, string message, string server1, string server2)
    {
        var lab = StablePair(AutoFailback.On);
        var node = lab.Nodes["server1"];
        var outcome = command == "standby" ? node.RequestStandby(argument) : node.RequestTakeover(argument);
        Assert.Equal(RequestOutcome.Accept(message), outcome);
        lab.Run(TimeSpan.FromSeconds(1));
        Assert.Equal(server1, Short(lab.Held("server1")));
        Assert.Equal(server2, Short(lab.Held("server2")));
        Assert.All(lab.Names.SelectMany(n => lab.Requests[n]), r => Assert.Equal((GroupCause.Standby, false), (r.Cause, r.IsTakeover)));
        if (command == "takeover")
        {
            Assert.Equal("hb_takeover " + argument, lab.Wire("server1")[0]);
        }

        // Given on purpose: auto_failback does not hand the groups straight back.
        lab.Run(TimeSpan.FromSeconds(15));
        Assert.Equal(server1, Short(lab.Held("server1")));
        Assert.Equal(server2, Short(lab.Held("server2")));
        Assert.False(node.InTransition);
    }

    [Fact]
    public void Hb_standby_all_moves_everything_with_the_three_phase_exchange()
    {
        var lab = StablePair(AutoFailback.On);
        lab.Nodes["server1"].RequestStandby("all");
        lab.Run(TimeSpan.FromSeconds(1));

        // behaviour-hb_standby-all: me / other / resource none 0 standby / done / resource all 1 + done / none 1 twice.
        Assert.Equal(["ask_resources all me", "resource none 0 standby", "ask_resources all done", "resource none 1", "resource none 1"], lab.Wire("server1"));
        Assert.Equal(["ask_resources all other", "resource all 1", "ask_resources all done"], lab.Wire("server2"));
        Assert.Equal(HoldSet.None, lab.Nodes["server1"].Holding);
        Assert.Equal(HoldSet.All, lab.Nodes["server2"].Holding);
        Assert.Equal("server2", lab.Nodes["server1"].HolderOf(G1));
    }

    [Fact]
    public void Between_two_of_ours_a_standby_starts_the_address_groups_on_the_taker_before_the_giver_stops_them()
    {
        var lab = StablePair(AutoFailback.On, AddressGroups);
        lab.Nodes["server1"].RequestStandby("local");
        lab.Run(TimeSpan.FromSeconds(1));
        int acquired = lab.Actions.IndexOf("server2 acquire " + G1);
        int released = lab.Actions.IndexOf("server1 release " + G1);
        Assert.InRange(acquired, 0, released - 1);
        Assert.Equal(2, lab.Held("server2").Count);
        Assert.Equal(["ask_resources local me", "resource none 0 standby", "ask_resources local done", "resource none 1", "resource none 1"], lab.Wire("server1"));
        Assert.Equal(["ask_resources local other", "resource all 1", "ask_resources local done"], lab.Wire("server2"));
    }

    [Fact]
    public void Against_a_real_peer_the_standby_stays_break_before_make()
    {
        var lab = StablePair(AutoFailback.On, AddressGroups, asReal: true);
        lab.Nodes["server1"].RequestStandby("local");
        lab.Run(TimeSpan.FromSeconds(1));
        int acquired = lab.Actions.IndexOf("server2 acquire " + G1);
        int released = lab.Actions.IndexOf("server1 release " + G1);
        Assert.InRange(released, 0, acquired - 1);
    }

    [Fact]
    public void Requests_are_refused_with_the_words_of_3_0_6_and_ours()
    {
        var legacy = StablePair(AutoFailback.Legacy);
        const string Legacy = "Standby mode only implemented when nice_failback on (auto_failback on or off)";
        Assert.Equal(RequestOutcome.Refuse(Legacy), legacy.Nodes["server1"].RequestStandby("all"));
        Assert.Equal(RequestOutcome.Refuse(Legacy), legacy.Nodes["server1"].RequestTakeover("local"));

        var lab = StablePair(AutoFailback.On);
        var node = lab.Nodes["server1"];
        Assert.Equal(RequestOutcome.Refuse("'everything' is not one of all, local, foreign, failback"), node.RequestStandby("everything"));
        Assert.True(node.RequestStandby("all").Accepted);
        Assert.Equal(RequestOutcome.Refuse("standby refused: standby in progress"), node.RequestStandby("all"));
        lab.Run(TimeSpan.FromSeconds(1));

        lab.Crash("server2");
        lab.Run(TimeSpan.FromSeconds(1.5));
        Assert.Equal(RequestOutcome.Refuse("no live peer to hand groups to or take them from"), node.RequestTakeover("all"));

        // During the fixed start-up wait beside a real peer: 3.0.6's "local resources in flux".
        var starting = new NodeHarness(AutoFailback.Off) { AsReal306 = true };
        starting.StartAll();
        starting.Run(TimeSpan.FromSeconds(1));
        Assert.Equal(RequestOutcome.Refuse("standby refused: local resources in flux"), starting.Nodes["server1"].RequestStandby("local"));
    }

    private static string Short(List<string> keys) => string.Join(' ', keys.Select(k => k == G1 ? "G1" : "G2"));
}
