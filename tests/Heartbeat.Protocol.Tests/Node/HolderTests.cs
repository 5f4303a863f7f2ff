using Heartbeat.Protocol.Config;
using static Heartbeat.Protocol.Tests.Node.NodeHarness;

namespace Heartbeat.Protocol.Tests.Node;

/// <summary>
/// Who holds each group, as the node that does not hold it shows it (hbctl's HOLDER column): the peer from its resource
/// reports (nice_failback) or from the ip-request exchange (legacy), and "unknown" only while legacy cannot tell.
/// </summary>
public class HolderTests
{
    private static (string? G1, string? G2) Holders(NodeHarness lab, string name) => (lab.Nodes[name].HolderOf(G1), lab.Nodes[name].HolderOf(G2));

    [Theory]
    [InlineData(AutoFailback.Legacy, false)]
    [InlineData(AutoFailback.Legacy, true)]
    [InlineData(AutoFailback.On, false)]
    [InlineData(AutoFailback.On, true)]
    [InlineData(AutoFailback.Off, true)]
    public void Each_node_shows_the_peer_as_holder_of_the_peers_group(AutoFailback policy, bool asReal)
    {
        var lab = StablePair(policy, asReal: asReal);

        Assert.Equal(("server1", "server2"), Holders(lab, "server1"));
        Assert.Equal(("server1", "server2"), Holders(lab, "server2"));
        Assert.All(lab.Names, n => Assert.True(lab.Nodes[n].HolderKnown(G1) && lab.Nodes[n].HolderKnown(G2)));
    }

    [Theory]
    [InlineData(AutoFailback.Legacy)]
    [InlineData(AutoFailback.On)]
    [InlineData(AutoFailback.Off)]
    public void A_survivor_shows_itself_and_a_restarted_node_the_holder_it_finds(AutoFailback policy)
    {
        var lab = StablePair(policy);
        lab.Crash("server1");
        lab.Run(TimeSpan.FromSeconds(1.5));
        Assert.Equal(("server2", "server2"), Holders(lab, "server2"));

        lab.Start("server1");
        lab.Run(TimeSpan.FromSeconds(12));

        // auto_failback off keeps both groups on server2 (the case where server1 used to show "none"); legacy and on fail back.
        var expected = policy == AutoFailback.Off ? ("server2", "server2") : ("server1", "server2");
        Assert.Equal(expected, Holders(lab, "server1"));
        Assert.Equal(expected, Holders(lab, "server2"));
    }

    [Fact]
    public void Legacy_a_returning_node_cannot_tell_who_holds_its_group_until_the_peer_answers_its_ip_request()
    {
        var lab = StablePair(AutoFailback.Legacy);
        lab.Crash("server1");
        lab.Run(TimeSpan.FromSeconds(1.5));
        lab.Slow["server2"].Add(G1); // server2's release of G1 waits: no answer yet

        var node = lab.Start("server1");
        lab.Run(TimeSpan.FromSeconds(0.5));
        Assert.Contains("ip-request " + G1, lab.Wire("server1"));
        Assert.False(node.HolderKnown(G1));
        Assert.Null(node.HolderOf(G1));
        Assert.True(node.HolderKnown(G2));
        Assert.Equal("server2", node.HolderOf(G2)); // an active legacy peer holds its home group

        lab.Complete("server2", G1);
        lab.Run(TimeSpan.FromSeconds(0.5));
        Assert.True(node.HolderKnown(G1));
        Assert.Equal(("server1", "server2"), Holders(lab, "server1"));
        Assert.Equal(("server1", "server2"), Holders(lab, "server2"));
    }

    [Theory]
    [InlineData(AutoFailback.Legacy)]
    [InlineData(AutoFailback.Off)]
    public void After_a_graceful_leave_the_survivor_holds_everything_and_a_late_start_sees_it(AutoFailback policy)
    {
        var lab = StablePair(policy);
        lab.Nodes["server2"].BeginLeave();
        lab.Settle();
        lab.Run(TimeSpan.FromSeconds(0.5));
        Assert.Equal(("server1", "server1"), Holders(lab, "server1"));

        var lone = new NodeHarness(policy);
        lone.Start("server1");
        lone.Run(TimeSpan.FromSeconds(2.5));
        lone.Start("server2");
        lone.Run(TimeSpan.FromSeconds(12));
        var expected = policy == AutoFailback.Off ? ("server1", "server1") : ("server1", "server2");
        Assert.Equal(expected, Holders(lone, "server2"));
        Assert.True(lone.Nodes["server2"].HolderKnown(G1) && lone.Nodes["server2"].HolderKnown(G2));
    }
}
