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

        lab.StartOurs(node, etc, state, "resource", "hold", Vip, "--arp-count", "2", "--arp-interval", "50");
        Assert.True(Lab.WaitForLog(node, "Holding group", Wait), lab.Describe());
        Assert.True(lab.HasAddress(node, "10.10.10.1"));

        int mark = node.Log().Length;
        var back = DeleteAndWaitForRestore(lab, node, mark, "hold, checking every keepalive (200 ms)");
        Assert.InRange(back, TimeSpan.Zero, TimeSpan.FromMilliseconds(200 + 800)); // one keepalive, plus slack for a busy machine
        Assert.True(Lab.WaitForLog(node, "rounds of gratuitous ARP", Wait, mark), lab.Describe());

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

    [Fact]
    public async Task The_daemon_puts_back_a_deleted_vip_as_soon_as_the_kernel_reports_it()
    {
        // Two nodes, server2 never started: server1 declares it dead at initdead and, alone, takes its own group.
        await using var lab = new Lab("vip restored by the daemon") { Haresources = $"server1 {Vip}\n" };
        var node = lab.Declare(false, false)[0];
        lab.Start(node);
        Assert.True(Lab.WaitUntil(() => lab.HasAddress(node, "10.10.10.1"), Wait), lab.Describe());
        Assert.True(Lab.WaitForLog(node, "rounds of gratuitous ARP", Wait), lab.Describe());

        // The loop hears of the deletion from the kernel (address notifications in its poll set) and puts the VIP back.
        int mark = node.Log().Length;
        DeleteAndWaitForRestore(lab, node, mark, "daemon, address notifications");

        // A graceful stop gives the group up: the loop hears of that deletion too and must not put the VIP back.
        lab.Stop(node);
        Assert.Equal(0, Lab.OursProcess(node)!.ExitCode);
        Assert.False(lab.HasAddress(node, "10.10.10.1"));
        Assert.DoesNotContain("restore:", node.Log()[mark..].Split("releasing", 2)[^1], StringComparison.Ordinal);
    }

    /// <summary>
    /// Deletes the VIP by hand, waits for it to come back and for the log to say it vanished and was restored; records
    /// the time (vip-restore.txt) and returns it.
    /// </summary>
    private static TimeSpan DeleteAndWaitForRestore(Lab lab, LabNode node, int mark, string who)
    {
        Lab.InNetns(lab.Netns(node), "ip", "addr", "del", "10.10.10.1/24", "dev", "ens18");
        var clock = Stopwatch.StartNew();
        Assert.True(Lab.WaitUntil(() => lab.HasAddress(node, "10.10.10.1"), TimeSpan.FromSeconds(5)), lab.Describe());
        var back = clock.Elapsed;
        Assert.True(Lab.WaitForLog(node, "the address vanished", Wait, mark), lab.Describe());
        Assert.True(Lab.WaitForLog(node, "restore: ok=True", Wait, mark), lab.Describe());
        string restore = node.Log()[mark..].Split('\n').FirstOrDefault(l => l.Contains("restore: ok=True", StringComparison.Ordinal)) ?? "?";
        File.AppendAllText(
            Path.Join(Path.GetTempPath(), "heartbeatnet-tests", "vip-restore.txt"),
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{who}: VIP back {back.TotalMilliseconds:F0} ms after 'ip addr del': {restore}\n"));
        return back;
    }
}
