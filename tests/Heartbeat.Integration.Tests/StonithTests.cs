using System.Globalization;
using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// STONITH through Debian's cluster-glue: <c>stonith_host *</c> with a test device of ours (an external/ plugin whose
/// reset powers off the victim's namespace: every process killed, every address gone) or meatware. The split brain
/// (only the heartbeat links cut), the holder killed outright, a failing device, and the operator's meatclient.
/// </summary>
public sealed class StonithTests(ITestOutputHelper output)
{
    private const string Vip = "10.10.10.1";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(40);

    private readonly ITestOutputHelper _output = output;

    [Fact]
    public async Task A_split_brain_fences_only_the_node_without_the_group_and_the_client_never_loses_it()
    {
        await using var lab = new Lab("stonith split brain") { Haresources = $"server2 IPaddr2::{Vip}/24/ens18\n" };
        using var device = StonithTestDevice.Install(lab, "ok");
        var nodes = lab.Declare(false, false);
        string client = lab.AddOutsider();
        StartBoth(lab, nodes);
        await using var probe = new VipProbe(lab, nodes, Vip, client);
        using var monitor = AddressMonitor.Start(lab.Netns(nodes[0]));
        Thread.Sleep(1000);
        var mark = probe.Now;

        // Only the heartbeat datagrams are dropped: both nodes live on and each declares the other dead.
        lab.Isolate(nodes[0], on: true);
        Assert.True(Lab.WaitUntil(() => device.Resets().Count > 0, Wait), "no reset\n" + lab.Describe());
        Thread.Sleep(6000); // beyond the 3 s contender delay: a duel would show a second reset by now

        var resets = device.Resets();
        _output.WriteLine(string.Join("\n", resets));
        Assert.Equal("server1", Assert.Single(resets).Node);
        Assert.True(Lab.WaitUntil(() => nodes[0].Process is { HasExited: true }, TimeSpan.FromSeconds(10)), "server1 still runs");
        Assert.True(lab.HasAddress(nodes[1], Vip));
        Assert.Empty(monitor.Lines(Vip)); // never on server1
        Assert.Equal(["server2"], probe.Holders());
        Assert.Equal(TimeSpan.Zero, probe.LongestDoubleHold(mark));
        Assert.True(probe.LongestOutage(mark) < TimeSpan.FromSeconds(1), probe.Summary(mark));
        _output.WriteLine(probe.Summary(mark));
        Assert.Contains("Delaying the reset of server2", nodes[0].Log());
        Assert.Contains("node server1 now reset.", nodes[1].Log());
    }

    [Fact]
    public async Task A_killed_holder_is_fenced_before_the_survivor_takes_its_group()
    {
        await using var lab = new Lab("stonith holder killed") { Haresources = $"server2 IPaddr2::{Vip}/24/ens18\n" };
        using var device = StonithTestDevice.Install(lab, "ok");
        var nodes = lab.Declare(false, false);
        StartBoth(lab, nodes);
        using var monitor = AddressMonitor.Start(lab.Netns(nodes[0]));
        Thread.Sleep(1000);

        lab.Kill(nodes[1]);
        Assert.True(Lab.WaitUntil(() => lab.HasAddress(nodes[0], Vip), Wait), "not taken over\n" + lab.Describe());
        AssertResetOfServer2BeforeTheVip(device, monitor);
        Assert.Contains("node server2 now reset.", nodes[0].Log());
    }

    [Fact]
    public async Task A_failing_device_is_retried_every_5_s_and_the_group_is_never_taken()
    {
        await using var lab = new Lab("stonith failing device") { Haresources = $"server2 IPaddr2::{Vip}/24/ens18\n" };
        using var device = StonithTestDevice.Install(lab, "fail");
        var nodes = lab.Declare(false, false);
        StartBoth(lab, nodes);
        using var monitor = AddressMonitor.Start(lab.Netns(nodes[0]));
        Thread.Sleep(1000);

        lab.Kill(nodes[1]);
        Assert.True(Lab.WaitUntil(() => device.Resets().Count >= 3, Wait), "fewer than 3 attempts\n" + lab.Describe());
        var attempts = device.Resets();
        var times = attempts.Select(a => DateTimeOffset.Parse(a.At, CultureInfo.InvariantCulture)).ToList();
        var gaps = times.Zip(times.Skip(1), (a, b) => b - a).ToList();
        _output.WriteLine("gaps between attempts: " + string.Join(", ", gaps.Select(g => $"{g.TotalSeconds:F2} s")));
        Assert.All(gaps, g => Assert.InRange(g, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(7)));
        Assert.False(lab.HasAddress(nodes[0], Vip));
        Assert.Empty(monitor.Lines(Vip));
        Assert.Contains("Host server2 not reset!", nodes[0].Log());
    }

    [Fact]
    public async Task With_meatware_the_takeover_waits_for_the_operators_meatclient()
    {
        await using var lab = new Lab("stonith meatware")
        {
            Haresources = $"server2 IPaddr2::{Vip}/24/ens18\n",
            ExtraHaCf = "stonith_host * meatware server1 server2\n",
        };
        var nodes = lab.Declare(false, false);
        StartBoth(lab, nodes);
        Thread.Sleep(1000);

        lab.Kill(nodes[1]);
        Assert.True(Lab.WaitForLog(nodes[0], "Resetting node server2 with [meatware", Wait), lab.Describe());
        Thread.Sleep(5000);
        Assert.False(lab.HasAddress(nodes[0], Vip)); // the operator has not confirmed yet

        // The operator confirms that server2 is down: meatclient asks for "yes".
        var (code, confirmOutput, error) = Processes.Run(["sh", "-c", "echo yes | meatclient -c server2"], TimeSpan.FromSeconds(20));
        _output.WriteLine($"meatclient exit {code}: {confirmOutput} {error}");
        Assert.True(Lab.WaitUntil(() => lab.HasAddress(nodes[0], Vip), Wait), "not taken over after meatclient\n" + lab.Describe());
        Assert.Contains("node server2 now reset.", nodes[0].Log());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Beside_a_real_306_node_with_the_same_stonith_host_line_the_survivor_fences_the_killed_holder_first(bool realHolds)
    {
        // server2 holds the group; the real 3.0.6 node is the holder or the survivor.
        await using var lab = new Lab($"stonith beside 3.0.6, real holds {realHolds}") { Haresources = $"server2 IPaddr2::{Vip}/24/ens18\n" };
        using var device = StonithTestDevice.Install(lab, "ok");
        var nodes = lab.Declare(!realHolds, realHolds); // one real node: the holder, or else the survivor
        var (survivor, holder) = (nodes[0], nodes[1]);
        StartBoth(lab, nodes);
        Thread.Sleep(5500); // a real node advertises deadtime + 2 s for 5 s after its start
        using var monitor = AddressMonitor.Start(lab.Netns(survivor));

        lab.Kill(holder);
        Assert.True(Lab.WaitUntil(() => lab.HasAddress(survivor, Vip), TimeSpan.FromSeconds(50)), "not taken over\n" + lab.Describe());
        AssertResetOfServer2BeforeTheVip(device, monitor);

        // Both say it in 3.0.6's words; ours waited its contender delay (it held nothing), the real one did not.
        Assert.True(Lab.WaitForLog(survivor, "node server2 now reset.", TimeSpan.FromSeconds(10)), survivor.Log());
        if (realHolds)
        {
            Assert.Contains("Delaying the reset of server2", survivor.Log());
        }
    }

    /// <summary>Exactly one reset, of server2, and the VIP added once on the survivor, after it.</summary>
    private void AssertResetOfServer2BeforeTheVip(StonithTestDevice device, AddressMonitor monitor)
    {
        var reset = Assert.Single(device.Resets());
        Assert.Equal("server2", reset.Node);
        string added = Assert.Single(monitor.Lines(Vip), l => !l.Contains("Deleted", StringComparison.Ordinal));
        string addedAt = added[1..added.IndexOf(']', StringComparison.Ordinal)];

        // ip monitor's timestamp and the device's are both UTC wall clock in the same format: the reset came first.
        _output.WriteLine($"reset {reset.At}, VIP added {addedAt}");
        Assert.True(string.CompareOrdinal(reset.At, addedAt) < 0, $"the VIP appeared at {addedAt}, before the reset at {reset.At}");
    }

    private static void StartBoth(Lab lab, LabNode[] nodes)
    {
        foreach (var node in nodes.Where(n => n.Real))
        {
            lab.Start(node);
        }

        foreach (var node in nodes.Where(n => !n.Real))
        {
            lab.StartOurs(node, Path.Join(node.Directory, "etc"), Path.Join(node.Directory, "state"), "--stonith-delay", "3", "--stonith-timeout", "30");
        }

        Assert.True(Lab.WaitUntil(() => lab.HasAddress(nodes[1], Vip), TimeSpan.FromSeconds(60)), "not placed\n" + lab.Describe());
    }
}
