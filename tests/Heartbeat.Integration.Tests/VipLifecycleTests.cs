using System.Diagnostics;
using Heartbeat.Integration.Tests.Support;

namespace Heartbeat.Integration.Tests;

public class VipLifecycleTests
{
    private const string Vip = "IPaddr2::10.10.10.1/24/ens18";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A held VIP removed by hand comes back within a keepalive (200 ms here) and is announced again; a clean stop
    /// leaves nothing; a VIP left by a holder killed with SIGKILL is released when the daemon next starts.
    /// </summary>
    [Fact]
    public async Task A_vanished_vip_returns_and_a_killed_holders_vip_is_released_at_the_next_start()
    {
        await using var lab = new Lab("vip lifecycle") { Haresources = $"server1 {Vip}\n" };
        var node = lab.Declare(false)[0];
        string etc = Path.Join(node.Directory, "etc");
        string state = Path.Join(node.Directory, "state");
        string netns = lab.Netns(node);

        lab.StartOurs(node, etc, state, "resource", "hold", Vip, "--arp-count", "2", "--arp-interval", "50");
        Assert.True(Lab.WaitForLog(node, "Holding group", Wait), lab.Describe());
        Assert.True(lab.HasAddress(node, "10.10.10.1"));

        int mark = node.Log().Length;
        Lab.InNetns(netns, "ip", "addr", "del", "10.10.10.1/24", "dev", "ens18");
        var clock = Stopwatch.StartNew();
        Assert.True(Lab.WaitUntil(() => lab.HasAddress(node, "10.10.10.1"), TimeSpan.FromSeconds(5)), lab.Describe());
        var back = clock.Elapsed;
        Assert.InRange(back, TimeSpan.Zero, TimeSpan.FromMilliseconds(200 + 800)); // one keepalive, plus slack for a busy machine
        Assert.True(Lab.WaitForLog(node, "the address vanished", Wait, mark), lab.Describe());
        Assert.True(Lab.WaitForLog(node, "rounds of gratuitous ARP", Wait, mark), lab.Describe());
        string restore = node.Log()[mark..].Split('\n').FirstOrDefault(l => l.Contains("restore: ok=True", StringComparison.Ordinal)) ?? "?";
        File.AppendAllText(
            Path.Join(Path.GetTempPath(), "heartbeatnet-tests", "vip-restore.txt"),
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"VIP back {back.TotalMilliseconds:F0} ms after 'ip addr del' (keepalive 200 ms): {restore}\n"));

        // Clean stop: the group is given up, nothing stays behind.
        lab.Stop(node);
        Assert.Equal(0, Lab.OursProcess(node)!.ExitCode);
        Assert.False(lab.HasAddress(node, "10.10.10.1"));

        // A holder killed with SIGKILL leaves the VIP; the daemon's next start releases it before joining the cluster.
        lab.StartOurs(node, etc, state, "resource", "hold", Vip, "--arp-count", "1");
        Assert.True(Lab.WaitUntil(() => lab.HasAddress(node, "10.10.10.1"), Wait), lab.Describe());
        lab.Kill(node);
        Assert.True(lab.HasAddress(node, "10.10.10.1"));
        mark = node.Log().Length;
        lab.Start(node);
        Assert.True(Lab.WaitForLog(node, "was left on ens18 by an earlier run", Wait, mark), lab.Describe());
        Assert.True(Lab.WaitUntil(() => !lab.HasAddress(node, "10.10.10.1"), Wait), lab.Describe());
        Assert.True(Lab.WaitForLog(node, "Local status now set to: 'up'", Wait, mark), lab.Describe());
    }
}
