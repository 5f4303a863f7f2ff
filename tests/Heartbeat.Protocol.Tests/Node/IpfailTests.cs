using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Ipfail;
using Heartbeat.Protocol.Ping;
using Heartbeat.Protocol.Tests.Ping;
using static Heartbeat.Protocol.Tests.Node.NodeHarness;

namespace Heartbeat.Protocol.Tests.Node;

/// <summary>
/// Ping nodes and the built-in ipfail through whole nodes: each node pings one gateway (and, where said, a ping_group
/// of two); cutting a node's uplink makes its gateway stop answering that node only.
/// </summary>
public class IpfailTests
{
    private static readonly PingNodeEntry Gateway = new("10.0.0.254", "10.0.0.254", PingKind.Ping, ["10.0.0.254"], 10);
    private static readonly PingNodeEntry Group = new("routers", "routers", PingKind.PingGroup, ["10.0.0.1", "10.0.0.2"], 11);

    /// <summary>Per node, the ping nodes (by name) its uplink reaches; a group answers while any member does.</summary>
    private readonly Dictionary<string, HashSet<string>> _reaches = new()
    {
        ["server1"] = ["10.0.0.254", "routers"],
        ["server2"] = ["10.0.0.254", "routers"],
    };

    private NodeHarness Lab(AutoFailback policy, bool ipfail = true, bool group = false)
    {
        var lab = new NodeHarness(policy, configure: haCf => haCf with
        {
            Deadping = TimeSpan.FromSeconds(1),
            PingNodes = group ? [Gateway, Group] : [Gateway],
            Respawns = ipfail ? [new RespawnEntry("hacluster", "/usr/lib/heartbeat/ipfail", 12, HaCfDirectives.IpfailBuiltIn)] : [],
        });
        lab.Gateway = (node, echo) =>
        {
            string name = lab.Nodes[node].PingNodes!.Nodes[echo.Node].Name;
            return _reaches[node].Contains(name) ? EchoReplies.To(echo.Packet.Span, echo.Ipv6) : null;
        };
        lab.StartAll();
        lab.Run(TimeSpan.FromSeconds(3));
        Assert.Equal([G1], lab.Held("server1"));
        Assert.Equal([G2], lab.Held("server2"));
        Assert.All(lab.Nodes.Values, n => Assert.All(n.PingNodes!.Nodes, p => Assert.Equal("ping", p.Status)));
        lab.ClearRecords();
        return lab;
    }

    [Fact]
    public void The_holder_that_loses_its_gateway_gives_everything_to_the_peer_and_gets_its_group_back_with_auto_failback()
    {
        var lab = Lab(AutoFailback.On);
        _reaches["server1"].Clear();
        lab.Run(TimeSpan.FromSeconds(3));

        // deadping, then: server1 sends its count (0), server2 answers you_are_dead, server1 gives up all after 2 keepalives.
        Assert.Contains(new PingNodeDead("10.0.0.254", TimeSpan.FromSeconds(1) + TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1), false), lab.Events["server1"].OfType<PingNodeDead>());
        Assert.Equal(["num_ping_nodes 0", "ask_resources all me", "ask_resources all done"], lab.Wire("server1").Where(w => w.StartsWith("num_ping", StringComparison.Ordinal) || w.StartsWith("ask_resources", StringComparison.Ordinal)));
        Assert.Contains("you_are_dead", lab.Wire("server2"));
        Assert.Empty(lab.Held("server1"));
        Assert.Equal([G1, G2], lab.Held("server2"));
        Assert.Contains(lab.Events["server1"].OfType<IpfailEvent>(), e => e.Note == IpfailNote.ToldWeAreDead);
        Assert.Contains(lab.Events["server1"].OfType<IpfailEvent>(), e => e.Note == IpfailNote.DelayedGiveup && e.Seconds == 0);

        // Nothing moves back while the uplink stays down.
        lab.ClearRecords();
        lab.Run(TimeSpan.FromSeconds(10));
        Assert.Empty(lab.Actions);
        Assert.Equal([G1, G2], lab.Held("server2"));

        // Restored: server1 asks again, the counts balance, and server2 gives the foreign group back (auto_failback on).
        _reaches["server1"].Add("10.0.0.254");
        lab.Run(TimeSpan.FromSeconds(3));
        Assert.Equal([G1], lab.Held("server1"));
        Assert.Equal([G2], lab.Held("server2"));
        Assert.Contains("num_ping_nodes 1", lab.Wire("server1"));
        Assert.Contains("abort_giveup", lab.Wire("server2"));
        Assert.Contains("ask_resources foreign me", lab.Wire("server2"));
    }

    [Fact]
    public void With_auto_failback_off_the_group_stays_where_it_went()
    {
        var lab = Lab(AutoFailback.Off);
        _reaches["server1"].Clear();
        lab.Run(TimeSpan.FromSeconds(3));
        Assert.Equal([G1, G2], lab.Held("server2"));

        _reaches["server1"].Add("10.0.0.254");
        lab.ClearRecords();
        lab.Run(TimeSpan.FromSeconds(5));
        Assert.Empty(lab.Actions);
        Assert.Equal([G1, G2], lab.Held("server2"));
    }

    [Fact]
    public void When_both_lose_the_gateway_nothing_moves()
    {
        var lab = Lab(AutoFailback.On);
        _reaches["server1"].Clear();
        _reaches["server2"].Clear();
        lab.Run(TimeSpan.FromSeconds(8));
        Assert.Empty(lab.Actions);
        Assert.Equal([G1], lab.Held("server1"));
        Assert.Equal([G2], lab.Held("server2"));
        Assert.All(lab.Nodes.Values, n => Assert.Equal("dead", n.PingNodes!.Nodes[0].Status));
    }

    [Fact]
    public void A_group_with_one_member_down_stays_ping_and_the_counts_decide()
    {
        var lab = Lab(AutoFailback.On, group: true);

        // server2 loses the single gateway: 1 (the group) against server1's 2.
        _reaches["server2"].Remove("10.0.0.254");
        lab.Run(TimeSpan.FromSeconds(3));
        Assert.Equal(["dead", "ping"], lab.Nodes["server2"].PingNodes!.Nodes.Select(n => n.Status));
        Assert.Equal([G1, G2], lab.Held("server1"));
        Assert.Equal(1, lab.Nodes["server1"].Ipfail!.PeerCount);
    }

    [Fact]
    public void Without_the_respawn_line_or_with_legacy_there_is_no_ipfail()
    {
        var off = Lab(AutoFailback.On, ipfail: false);
        _reaches["server1"].Clear();
        off.Run(TimeSpan.FromSeconds(5));
        Assert.Empty(off.Actions);
        Assert.Null(off.Nodes["server1"].Ipfail);

        _reaches["server1"].Add("10.0.0.254");
        var legacy = new NodeHarness(AutoFailback.Legacy, configure: haCf => haCf with
        {
            Deadping = TimeSpan.FromSeconds(1),
            PingNodes = [Gateway],
            Respawns = [new RespawnEntry("hacluster", "/usr/lib/heartbeat/ipfail", 12, HaCfDirectives.IpfailBuiltIn)],
        });
        legacy.StartAll();
        legacy.Run(TimeSpan.FromSeconds(1));
        Assert.Null(legacy.Nodes["server1"].Ipfail);
        Assert.Contains(new IpfailEvent(IpfailNote.LegacyAutoFailback), legacy.Events["server1"]);
        Assert.DoesNotContain(legacy.Sent["server1"], m => IpfailMessages.Types.Contains(m.Type));
    }

    [Fact]
    public void The_ipfail_messages_carry_3_0_6s_fields_in_its_order()
    {
        var lab = Lab(AutoFailback.On);
        _reaches["server1"].Clear();
        lab.Run(TimeSpan.FromSeconds(3));
        var ask = lab.Sent["server1"].First(m => m.Type == "num_ping_nodes");
        Assert.Equal(["t", "src", "num_ping", "dest", "from_id", "to_id", "client_gen", "srcuuid", "seq", "hg", "ts", "ld", "ttl", "auth"], ask.Fields.Select(f => f.Name));
        Assert.Equal(("server1", "0", "server2", "ipfail", "ipfail"), (ask.GetString("src"), ask.GetString("num_ping"), ask.GetString("dest"), ask.GetString("from_id"), ask.GetString("to_id")));
        var dead = lab.Sent["server2"].First(m => m.Type == "you_are_dead");
        Assert.Equal(["t", "dest", "from_id", "to_id", "client_gen", "src"], dead.Fields.Take(6).Select(f => f.Name));
    }

    [Fact]
    public void The_giveup_is_hb_standbys_request_stamped_by_the_api_as_ipfails_and_an_admins_standby_is_not()
    {
        // ipfail.c giveup(): t, rsc_hold, src, info=me, sent with sendclustermsg; hb_api.c adds from_id, to_id and
        // client_gen to a named client's message; heartbeat stamps the rest.
        var lab = Lab(AutoFailback.On);
        _reaches["server1"].Clear();
        lab.Run(TimeSpan.FromSeconds(3));
        var giveup = Assert.Single(lab.Sent["server1"], m => m.Type == "ask_resources" && m.GetString("info") == "me");
        Assert.Equal(["t", "rsc_hold", "src", "info", "from_id", "to_id", "client_gen", "srcuuid", "seq", "hg", "ts", "ld", "ttl", "auth"], giveup.Fields.Select(f => f.Name));
        Assert.Equal(("all", "server1", "ipfail", "ipfail", "0"), (giveup.GetString("rsc_hold"), giveup.GetString("src"), giveup.GetString("from_id"), giveup.GetString("to_id"), giveup.GetString("client_gen")));
        Assert.Equal("ipfail's giveup: standby request: server1 wants to go standby [all]", IpfailMessages.Describe(giveup));

        // The admin's standby on the other node (the groups came back by auto_failback) carries no client id.
        _reaches["server1"].Add("10.0.0.254");
        lab.Run(TimeSpan.FromSeconds(20));
        lab.ClearRecords();
        Assert.True(lab.Nodes["server2"].RequestStandby("foreign").Accepted);
        lab.Run(TimeSpan.FromSeconds(1));
        var standby = Assert.Single(lab.Sent["server2"], m => m.Type == "ask_resources" && m.GetString("info") == "me");
        Assert.Null(standby.GetString("from_id"));
        Assert.Null(IpfailMessages.Describe(standby));
    }
}
