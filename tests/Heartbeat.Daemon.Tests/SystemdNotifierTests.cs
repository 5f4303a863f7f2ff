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
        Assert.True(notifier.Notify("WATCHDOG=1"));
        byte[] buffer = new byte[64];
        Assert.Equal("WATCHDOG=1", Encoding.UTF8.GetString(buffer, 0, socket.Receive(buffer)));
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
