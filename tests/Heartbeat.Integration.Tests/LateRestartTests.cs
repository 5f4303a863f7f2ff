using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// kill -9 of the holder's daemon (its VIP stays on the NIC, as after a daemon-only crash), restarted only after the peer
/// has taken the VIP over. While the killed daemon is down nothing can end the duplicate (3.0.6 keeps it for ever:
/// behaviour.md); once the restarted daemon has heard its peer, the duplicate ends within the start-up negotiation and
/// the VIP settles on one node as the policy says (QuickRestartTests covers a restart within the deadtime).
/// </summary>
public class LateRestartTests(ITestOutputHelper output) : FailoverScenario(output)
{
    [Theory]
    [InlineData(Pairing.OursAndOurs, "on")]
    [InlineData(Pairing.OursAndOurs, "off")]
    [InlineData(Pairing.RealAndOurs, "on")]
    public async Task A_daemon_killed_and_restarted_after_the_takeover_ends_the_duplicate_once_it_hears_its_peer(Pairing pairing, string autoFailback)
    {
        await using var lab = NewLab($"late restart {pairing} {autoFailback}", autoFailback);
        var nodes = Declare(lab, pairing);
        var (peer, victim) = (nodes[0], nodes[1]); // server2, the victim, is ours in both pairings and holds Vip2
        string client = lab.AddOutsider();
        StartAndPlace(lab, nodes);
        await using var probe = new VipProbe(lab, nodes, Vip2, client);
        Thread.Sleep(peer.Real ? 5500 : 1000);

        lab.Kill(victim);
        Assert.True(Lab.WaitUntil(() => Holds(lab, peer, Vip2), Wait), $"{peer.Name} did not take {Vip2}\n" + lab.Describe());
        Assert.True(Holds(lab, victim, Vip2), "kill -9 of the daemon should leave its VIP on the NIC");
        Thread.Sleep(500);

        int mark = victim.Log().Length;
        lab.Start(victim);
        Assert.True(Lab.WaitForLog(victim, $"Link {peer.Name}:ens18 up", Wait, mark), lab.Describe());
        var heard = probe.Now; // at most one 25 ms poll of the log late

        var expected = autoFailback == "on" ? victim : peer;
        bool Settled() => probe.Holders() is [var h] && h == expected.Name && probe.LastAnswer() == expected.Name;
        Assert.True(Lab.WaitUntil(Settled, peer.Real ? TimeSpan.FromSeconds(60) : TimeSpan.FromSeconds(15)),
            $"{Vip2} should end on {expected.Name}, is on [{string.Join(",", probe.Holders())}]\n" + lab.Describe());
        var settled = probe.Now - heard;
        Thread.Sleep(2000);
        Assert.True(Settled(), "the placement did not last\n" + lab.Describe());

        var doubleHold = probe.LongestDoubleHold(heard);
        Output.WriteLine($"{pairing} {autoFailback}: after the restarted daemon heard {peer.Name}: longest double hold {doubleHold.TotalMilliseconds:F0} ms, one holder ({expected.Name}) {settled.TotalMilliseconds:F0} ms later; {probe.Summary(heard)}");

        // Generous for a loaded machine (the holder poll is 50 ms): the duplicate ends within the negotiation, and a
        // failback back to the victim is make-before-break (both hold it for an instant, the client follows the ARP).
        Assert.InRange(doubleHold, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.InRange(probe.LongestOutage(heard), TimeSpan.Zero, TimeSpan.FromSeconds(peer.Real ? 3 : 1));
    }
}
