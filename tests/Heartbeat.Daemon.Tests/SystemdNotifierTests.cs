using System.Net.Sockets;
using System.Text;
using Heartbeat.Daemon.Systemd;

namespace Heartbeat.Daemon.Tests;

public class SystemdNotifierTests
{
    [Fact]
    public void Lines_go_to_the_socket_named_by_NOTIFY_SOCKET_as_one_datagram()
    {
        string path = Path.Join(Path.GetTempPath(), $"hbnet-notify-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        try
        {
            using var notifier = new SystemdNotifier(new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = path }, 42);
            Assert.True(notifier.Enabled);
            Assert.True(notifier.Notify("READY=1", SystemdNotifier.StatusLine("active;\npeers: server2 active")));
            byte[] buffer = new byte[1024];
            int n = socket.Receive(buffer);
            Assert.Equal("READY=1\nSTATUS=active; peers: server2 active", Encoding.UTF8.GetString(buffer, 0, n));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_abstract_socket_name_is_written_with_a_leading_at()
    {
        string name = $"hbnet-notify-{Guid.NewGuid():N}";
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
        using var notifier = new SystemdNotifier(new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = "@" + name }, 42);
        socket.ReceiveTimeout = 10_000;
        Assert.True(notifier.Notify("READY=1"));
        Assert.True(notifier.NotifyWatchdog());
        byte[] buffer = new byte[64];
        Assert.Equal("READY=1", Encoding.UTF8.GetString(buffer, 0, socket.Receive(buffer)));
        Assert.Equal("WATCHDOG=1", Encoding.UTF8.GetString(buffer, 0, socket.Receive(buffer)));
    }

    [Fact]
    public void Watchdog_pings_allocate_nothing_once_warm()
    {
        string name = $"hbnet-notify-{Guid.NewGuid():N}";
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
        socket.ReceiveTimeout = 10_000;
        using var notifier = new SystemdNotifier(new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = "@" + name }, 42);
        byte[] buffer = new byte[64];

        // The first rounds may run unoptimized code (tier 0 heap-allocates what tier 1 keeps on the stack); a real
        // per-ping allocation shows in every round. Five pings a round: a Unix datagram socket queues only ten
        // (net.unix.max_dgram_qlen) before the sender would wait.
        long[] perRound = new long[40];
        for (int round = 0; round < perRound.Length; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 5; i++)
            {
                Assert.True(notifier.NotifyWatchdog());
            }

            perRound[round] = GC.GetAllocatedBytesForCurrentThread() - before;
            for (int i = 0; i < 5; i++)
            {
                Assert.Equal(10, socket.Receive(buffer));
            }

            if (perRound[round] == 0)
            {
                return;
            }
        }

        Assert.Fail($"every round of 5 pings allocated: {string.Join(", ", perRound)} bytes");
    }

    [Theory]
    [InlineData("4000000", null, 2000.0)]
    [InlineData("4000000", "42", 2000.0)]
    [InlineData("4000000", "43", null)]
    [InlineData("0", null, null)]
    [InlineData("junk", null, null)]
    [InlineData(null, null, null)]
    public void The_watchdog_runs_at_half_of_WATCHDOG_USEC_for_this_process_only(string? usec, string? pid, double? expectedMs)
    {
        using var notifier = new SystemdNotifier(new Dictionary<string, string?> { ["WATCHDOG_USEC"] = usec, ["WATCHDOG_PID"] = pid }, 42);
        Assert.Equal(expectedMs, notifier.WatchdogInterval?.TotalMilliseconds);
        Assert.False(notifier.Enabled);
        Assert.False(notifier.Notify("READY=1"));
    }
}
