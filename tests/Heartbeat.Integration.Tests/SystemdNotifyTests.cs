using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Heartbeat.Integration.Tests.Support;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// Type=notify as systemd sees it: a fake notify socket receives READY=1 with a STATUS= once communication is up,
/// WATCHDOG=1 at half of WATCHDOG_USEC from the event loop (so a stopped loop stops pinging: what systemd kills on),
/// and STOPPING=1 on SIGTERM, in that order.
/// </summary>
public class SystemdNotifyTests
{
    [Fact]
    public async Task Ready_status_watchdog_and_stopping_reach_the_notify_socket_in_order()
    {
        await using var lab = new Lab("sd_notify");
        var nodes = lab.Declare(false, false);
        string path = Path.Join(lab.Directory, "notify.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        nodes[0].Environment["NOTIFY_SOCKET"] = path;
        nodes[0].Environment["WATCHDOG_USEC"] = "1000000";

        var received = new List<(TimeSpan At, string Text)>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var reader = Task.Run(async () =>
        {
            byte[] buffer = new byte[4096];
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    int n = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                    lock (received)
                    {
                        received.Add((clock.Elapsed, Encoding.UTF8.GetString(buffer, 0, n)));
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
        List<(TimeSpan At, string Text)> Received()
        {
            lock (received)
            {
                return [.. received];
            }
        }

        foreach (var node in nodes)
        {
            lab.Start(node);
        }

        Assert.True(Lab.WaitUntil(() => Received().Any(r => r.Text.Contains("READY=1", StringComparison.Ordinal)), TimeSpan.FromSeconds(30)), lab.Describe());
        var ready = Received().First(r => r.Text.Contains("READY=1", StringComparison.Ordinal));
        Assert.Contains("STATUS=active; peers: server2", ready.Text, StringComparison.Ordinal);

        // Pings every ~0.5 s while the loop runs. Timed by this test's reader, which a loaded machine can delay (two
        // pings then arrive together): counted over the window, with no gap near WatchdogSec.
        var windowStart = clock.Elapsed;
        Thread.Sleep(2500);
        var pings = Received().Where(r => r.Text == "WATCHDOG=1" && r.At >= windowStart).Select(r => r.At).ToList();
        Assert.InRange(pings.Count, 3, 10);
        Assert.All(pings.Zip(pings.Skip(1)), p => Assert.InRange((p.Second - p.First).TotalMilliseconds, 0, 900));

        // A stopped process (as a stuck loop would) stops pinging: systemd would kill it after WatchdogSec.
        // The window starts once kill(1) has returned (the signal is delivered by then) plus 300 ms for a ping sent just
        // before and read late by this test's reader on a loaded machine.
        int pid = Lab.OursProcess(nodes[0])!.Id;
        Lab.Signal(pid, "STOP");
        var stoppedAt = clock.Elapsed;
        Thread.Sleep(1500);
        var continuedAt = clock.Elapsed;
        Lab.Signal(pid, "CONT");
        var during = Received().Where(r => r.Text == "WATCHDOG=1" && r.At > stoppedAt + TimeSpan.FromMilliseconds(300) && r.At < continuedAt).ToList();
        Assert.Empty(during);
        Assert.True(Lab.WaitUntil(() => Received().Any(r => r.Text == "WATCHDOG=1" && r.At > continuedAt), TimeSpan.FromSeconds(10)), "pings did not resume");

        lab.Stop(nodes[0]);
        Assert.True(Lab.WaitUntil(() => Received().Any(r => r.Text.StartsWith("STOPPING=1", StringComparison.Ordinal)), TimeSpan.FromSeconds(10)), lab.Describe());
        await stop.CancelAsync();
        await reader;
        var order = Received().Select(r => r.Text.Split('\n')[0]).Where(t => t is "READY=1" or "STOPPING=1").ToList();
        Assert.Equal(["READY=1", "STOPPING=1"], order);
    }
}
