using System.Diagnostics;
using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// A real 3.0.6 node and ours share one disk (a loop image) and move a Filesystem+IP group both ways: a graceful stop
/// of the holder hands it over, its return takes it back (auto_failback on). The file system is mounted in the
/// holder's mount namespace only, never on both at once, and never in the machine's.
/// </summary>
public class MixedFilesystemTests(ITestOutputHelper output)
{
    private const string Vip = "10.10.10.1";

    [Theory]
    [InlineData(Pairing.RealAndOurs)]
    [InlineData(Pairing.OursAndReal)]
    public async Task A_Filesystem_and_IP_group_moves_both_ways_between_3_0_6_and_ours(Pairing pairing)
    {
        Assert.True(File.Exists("/usr/lib/ocf/resource.d/heartbeat/Filesystem"), "resource-agents is not installed (scripts/test.sh installs it)");
        var lab = new Lab($"mixed Filesystem {pairing}") { AutoFailback = "on" };
        string mountPoint = Path.Join(lab.Directory, "mnt");
        LoopDisk? disk = null;
        try
        {
            disk = LoopDisk.Create(lab.Directory);
            string device = disk.Device;
            Directory.CreateDirectory(mountPoint);
            lab.Haresources = $"server1 Filesystem::{device}::{mountPoint}::ext4 IPaddr2::{Vip}/24/ens18\n";
            var nodes = pairing == Pairing.RealAndOurs ? lab.Declare(true, false) : lab.Declare(false, true);
            var (holder, peer) = (nodes[0], nodes[1]);
            lab.Start(holder);
            lab.Start(peer);
            var wait = TimeSpan.FromSeconds(90);
            Assert.True(Lab.WaitUntil(() => Mounts(holder) == 1 && lab.HasAddress(holder, Vip), wait), "server1 never took its group\n" + lab.Describe());
            Assert.Equal(0, Mounts(peer));
            Assert.DoesNotContain(mountPoint, File.ReadAllText("/proc/self/mountinfo"), StringComparison.Ordinal);

            // Sampled all along: at no moment mounted on both.
            int samples = 0;
            bool twice = false;
            using var watch = new CancellationTokenSource();
            var sampler = Task.Run(() =>
            {
                while (!watch.IsCancellationRequested)
                {
                    twice |= Mounts(holder) > 0 && Mounts(peer) > 0;
                    samples++;
                    Thread.Sleep(50);
                }
            });

            // server1 stops gracefully: server2 unmounts nothing, mounts once, takes the VIP.
            var clock = Stopwatch.StartNew();
            lab.Stop(holder);
            Assert.True(Lab.WaitUntil(() => Mounts(peer) == 1 && lab.HasAddress(peer, Vip), wait), "server2 never took the group\n" + lab.Describe());
            output.WriteLine($"{pairing}: to server2 in {clock.ElapsedMilliseconds} ms");
            Assert.True(Lab.WaitUntil(() => lab.RealPid(holder) is null && Lab.OursProcess(holder) is not { HasExited: false }, wait), "server1 did not exit\n" + lab.Describe());

            // server1 returns: auto_failback on moves the group back, unmounted on server2 before it is mounted here.
            clock.Restart();
            lab.Start(holder);
            Assert.True(Lab.WaitUntil(() => Mounts(holder) == 1 && lab.HasAddress(holder, Vip) && Mounts(peer) == 0 && !lab.HasAddress(peer, Vip), wait),
                "the group did not come back to server1\n" + lab.Describe());
            output.WriteLine($"{pairing}: back to server1 in {clock.ElapsedMilliseconds} ms");
            await watch.CancelAsync();
            await sampler;
            Assert.False(twice, $"mounted on both nodes at once ({samples} samples)");
            Assert.True(samples > 20);
            Assert.DoesNotContain(mountPoint, File.ReadAllText("/proc/self/mountinfo"), StringComparison.Ordinal);

            // Let the real node give its group up before the lab goes (the loop device must be free to detach).
            lab.Stop(holder);
            lab.Stop(peer);
            Lab.WaitUntil(() => Mounts(holder) == 0 && Mounts(peer) == 0, TimeSpan.FromSeconds(30));
        }
        finally
        {
            await lab.DisposeAsync();
            disk?.Dispose();
        }

        int Mounts(LabNode node)
        {
            int? pid = node.Real ? lab.RealPid(node) : Lab.OursProcess(node) is { HasExited: false } p ? p.Id : null;
            string info = pid is { } id ? TryRead($"/proc/{id}/mountinfo") : string.Empty;
            return info.Split('\n').Count(line => line.Split(' ') is { Length: > 4 } fields && fields[4] == mountPoint);
        }
    }

    private static string TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }
}
