using System.Diagnostics;
using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// ha.cf's <c>watchdog</c> as the running daemon drives it. softdog is not available on this kernel (no module), and a
/// real watchdog would reboot the machine when a test stops feeding it, so the device is a stand-in: a regular file
/// that records every write. The daemon opens it as 3.0.6 does; WDIOC_SETTIMEOUT fails on a file (ENOTTY), which the
/// daemon logs and carries on, as 3.0.6 does with a device lacking the ioctl. What the stand-in cannot show: the
/// kernel's countdown itself (the timeout the ioctl would set is covered by HardwareWatchdogTests' rule).
/// Armed at start, fed from the event loop once a keepalive (200 ms here), disarmed with 'V' on a graceful stop only:
/// a SIGKILLed or SIGSTOPped daemon writes nothing more, so a real watchdog would reboot the node.
/// </summary>
public sealed class WatchdogDeviceTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Keepalive = TimeSpan.FromMilliseconds(200);

    /// <summary>3.0.6's timeout for the lab's 1 s deadtime: (1000 + 10 + 999) / 1000 = 2 s.</summary>
    private static readonly TimeSpan DeviceTimeout = TimeSpan.FromSeconds(2);

    private readonly ITestOutputHelper _output = output;

    [Theory]
    [InlineData("TERM")]
    [InlineData("KILL")]
    [InlineData("STOP")]
    public async Task The_daemon_arms_the_device_feeds_it_every_keepalive_and_disarms_it_only_on_a_graceful_stop(string signal)
    {
        await using var lab = new Lab($"watchdog {signal}") { Keepalive = Keepalive };
        string device = Path.Join(lab.Directory, "watchdog");
        File.WriteAllBytes(device, []);
        lab.ExtraHaCf = $"watchdog {device}\n";
        var node = lab.Declare(false)[0];
        lab.Start(node);

        // Armed: opened, the ioctl's failure on a file logged, the first write made at once.
        Assert.True(Lab.WaitForLog(node, $"Using watchdog device: {device}", TimeSpan.FromSeconds(20)), node.Log());
        Assert.True(Lab.WaitUntil(() => new FileInfo(device).Length > 0, TimeSpan.FromSeconds(5)), "no first write\n" + node.Log());
        Assert.Contains("WDIOC_SETTIMEOUT: Failed to set watchdog timer", node.Log(), StringComparison.Ordinal);

        // Fed from the loop: one byte (0) per write, once a keepalive; no gap anywhere near the device's timeout.
        var (writes, longestGap) = Watch(device, TimeSpan.FromSeconds(4));
        _output.WriteLine($"{writes} writes in 4 s (keepalive {Keepalive.TotalMilliseconds} ms), longest gap {longestGap.TotalMilliseconds:F0} ms");
        Assert.InRange(writes, 14, 22);
        Assert.True(longestGap < TimeSpan.FromMilliseconds(700), $"longest gap between writes {longestGap.TotalMilliseconds:F0} ms");

        int pid = Lab.OursProcess(node)!.Id;
        switch (signal)
        {
            case "TERM":
                // A graceful stop: the magic 'V' last, after nothing but feeds.
                lab.Stop(node);
                Assert.True(node.Process!.HasExited, "the daemon did not exit");
                byte[] written = File.ReadAllBytes(device);
                Assert.Equal((byte)'V', written[^1]);
                Assert.All(written[..^1], b => Assert.Equal(0, b));
                Assert.Contains("Successful watchdog 'V' write", node.Log(), StringComparison.Ordinal);
                break;
            case "KILL":
                // A crash: no 'V', and nothing more is written, so a real watchdog reboots the node after its timeout.
                lab.Kill(node);
                long killedAt = new FileInfo(device).Length;
                Thread.Sleep(DeviceTimeout + TimeSpan.FromSeconds(1));
                byte[] left = File.ReadAllBytes(device);
                Assert.Equal(killedAt, left.LongLength);
                Assert.All(left, b => Assert.Equal(0, b));
                break;
            case "STOP":
                // A hung daemon (its loop does not turn): the feeds stop for as long as it is stopped, longer than the
                // device's timeout, so a real watchdog would have rebooted the node; no 'V' either.
                Lab.Signal(pid, "STOP");
                try
                {
                    Thread.Sleep(200); // a write already under way when the signal came lands now
                    long stoppedAt = new FileInfo(device).Length;
                    Thread.Sleep(DeviceTimeout + TimeSpan.FromSeconds(1));
                    Assert.Equal(stoppedAt, new FileInfo(device).Length);
                    Assert.DoesNotContain((byte)'V', File.ReadAllBytes(device));
                }
                finally
                {
                    Lab.Signal(pid, "CONT");
                }

                // Resumed, it feeds again (what a real device would never see: the node would have rebooted).
                long resumedAt = new FileInfo(device).Length;
                Assert.True(Lab.WaitUntil(() => new FileInfo(device).Length > resumedAt, TimeSpan.FromSeconds(5)), "feeding did not resume");
                break;
        }
    }

    /// <summary>Polls the stand-in's size every 5 ms for <paramref name="window"/>: the writes seen and the longest time without one.</summary>
    private static (int Writes, TimeSpan LongestGap) Watch(string device, TimeSpan window)
    {
        var clock = Stopwatch.StartNew();
        long start = new FileInfo(device).Length, last = start;
        var lastWriteAt = TimeSpan.Zero;
        var longest = TimeSpan.Zero;
        while (clock.Elapsed < window)
        {
            Thread.Sleep(5);
            long now = new FileInfo(device).Length;
            if (now != last)
            {
                longest = longest > clock.Elapsed - lastWriteAt ? longest : clock.Elapsed - lastWriteAt;
                lastWriteAt = clock.Elapsed;
                last = now;
            }
        }

        longest = longest > clock.Elapsed - lastWriteAt ? longest : clock.Elapsed - lastWriteAt;
        return ((int)(last - start), longest);
    }
}
