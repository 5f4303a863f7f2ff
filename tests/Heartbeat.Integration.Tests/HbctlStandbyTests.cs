using System.Diagnostics;
using System.Text.Json;
using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// <c>hbctl standby</c> and <c>hbctl takeover</c> with every argument, on our node, against a peer of ours and against a
/// real 3.0.6 node (whose rc.d/hb_takeover hook answers a takeover by running its own hb_standby).
/// </summary>
public class HbctlStandbyTests(ITestOutputHelper output) : FailoverScenario(output)
{
    public static TheoryData<Pairing> Pairings() => new() { Pairing.OursAndOurs, Pairing.OursAndReal };

    [Theory]
    [MemberData(nameof(Pairings))]
    public async Task Standby_and_takeover_move_exactly_the_named_groups(Pairing pairing)
    {
        await using var lab = NewLab($"hbctl {pairing}", "on");
        var nodes = Declare(lab, pairing);
        string client = lab.AddOutsider();
        StartAndPlace(lab, nodes);
        var (s1, s2) = (nodes[0], nodes[1]);
        await using var probe1 = new VipProbe(lab, nodes, Vip1, client);
        await using var probe2 = new VipProbe(lab, nodes, Vip2, client);

        // server1 (ours) drives every step; "local" is server1's home group (Vip1), "foreign" server2's (Vip2).
        (string Verb, string Set, string Vip1Holder, string Vip2Holder)[] steps =
        [
            ("standby", "local", "server2", "server2"),
            ("takeover", "local", "server1", "server2"),
            ("standby", "all", "server2", "server2"),
            ("takeover", "all", "server1", "server1"),
            ("standby", "foreign", "server1", "server2"),
            ("takeover", "foreign", "server1", "server1"),
            ("standby", "failback", "server1", "server2"),
            ("takeover", "failback", "server1", "server1"), // 3.0.6's quirk: failback makes the peer go standby all
        ];
        foreach (var (verb, set, vip1Holder, vip2Holder) in steps)
        {
            var mark = probe1.Now;
            var clock = Stopwatch.StartNew();
            // A real peer refuses a standby while it is itself "in flux" (its scripts still settling the previous move,
            // seconds on a loaded machine), as an operator would see with cl_status; so each step waits for both sides.
            bool Settled() => !InTransition(s1) && (!s2.Real || lab.RunInReal(s2, "cl_status", "rscstatus").Trim() != "transition");
            bool Placed() => probe1.Holders() is [var h1] && h1 == vip1Holder && probe2.Holders() is [var h2] && h2 == vip2Holder && Settled();

            // A request right after the previous move may meet "in flux"; like hb_standby, try again shortly.
            (int code, string text) = (1, string.Empty);
            Assert.True(Lab.WaitUntil(() => ((code, text) = Lab.RunHbctl(s1, verb, set)).code == 0, TimeSpan.FromSeconds(20)), $"hbctl {verb} {set}: {text}\n{lab.Describe()}");
            // A real 3.0.6 node on a loaded machine sometimes drops the hb_standby its rc.d/hb_takeover hook runs
            // right after it took everything (seen in CI, not understood yet): like an operator, ask once more.
            if (!Lab.WaitUntil(Placed, Wait) && s2.Real && verb == "takeover")
            {
                Output.WriteLine($"{pairing}: hbctl {verb} {set} asked again (the real node did not act)");
                Assert.Equal(0, Lab.RunHbctl(s1, verb, set).Code);
            }

            Assert.True(Lab.WaitUntil(Placed, Wait), $"after hbctl {verb} {set}: {Vip1} on [{string.Join(",", probe1.Holders())}], {Vip2} on [{string.Join(",", probe2.Holders())}]\n{lab.Describe()}");
            Output.WriteLine($"{pairing}: hbctl {verb} {set}: placed after {clock.ElapsedMilliseconds} ms; {probe1.Summary(mark)}; {probe2.Summary(mark)}");
            Thread.Sleep(1500);
            Assert.True(Placed(), $"after hbctl {verb} {set} the placement did not last\n{lab.Describe()}");
        }

        // The status names each group's holder and why it moved.
        var (statusCode, json) = Lab.RunHbctl(s1, "status", "--json");
        Assert.Equal(0, statusCode);
        using var status = JsonDocument.Parse(json);
        var groups = status.RootElement.GetProperty("groups").EnumerateArray().ToList();
        Assert.All(groups, g => Assert.True(g.GetProperty("held").GetBoolean()));
        Assert.Contains(groups, g => g.GetProperty("lastReason").GetString()!.Contains("standby", StringComparison.Ordinal));
        var peer = Assert.Single(status.RootElement.GetProperty("peers").EnumerateArray());
        Assert.Equal(pairing == Pairing.OursAndOurs, peer.GetProperty("ours").GetBoolean());
        Assert.Equal("up", peer.GetProperty("links")[0].GetProperty("up").GetBoolean() ? "up" : "dead");

        var counters = status.RootElement.GetProperty("counters");
        Assert.True(counters.GetProperty("received").GetInt64() > 0);
        Assert.True(counters.GetProperty("sent").GetInt64() > 0);
        Assert.Equal(JsonValueKind.Object, counters.GetProperty("rejectedByReason").ValueKind);

        var (humanCode, human) = Lab.RunHbctl(s1, "status");
        Assert.Equal(0, humanCode);
        Assert.Contains("server2", human, StringComparison.Ordinal);
        Assert.Contains(Vip1, human, StringComparison.Ordinal);
        Assert.Contains("Packets: ", human, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Standby_is_refused_with_a_reason_in_legacy_mode_and_without_a_daemon()
    {
        await using var lab = NewLab("hbctl legacy", "legacy");
        var nodes = Declare(lab, Pairing.OursAndOurs);
        StartAndPlace(lab, nodes);
        var (code, text) = Lab.RunHbctl(nodes[0], "standby", "all");
        Assert.Equal(1, code);
        Assert.Contains("nice_failback", text, StringComparison.Ordinal);
        Assert.True(FailoverScenario.Holds(lab, nodes[0], Vip1));

        lab.Stop(nodes[1]);
        var (downCode, downText) = Lab.RunHbctl(nodes[1], "status");
        Assert.Equal(3, downCode);
        Assert.Contains("not running", downText, StringComparison.Ordinal);
    }

    private static bool InTransition(LabNode node)
    {
        var (code, json) = Lab.RunHbctl(node, "status", "--json");
        if (code != 0)
        {
            return true;
        }

        using var status = JsonDocument.Parse(json);
        return status.RootElement.GetProperty("inTransition").GetBoolean();
    }
}
