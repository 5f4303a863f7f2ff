using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Heartbeat.Daemon.Systemd;

/// <summary>
/// sd_notify(3) without libsystemd: one datagram of <c>KEY=value</c> lines to the socket named by
/// <c>NOTIFY_SOCKET</c> (a path, or an abstract name written with a leading '@'). Does nothing when systemd did not ask
/// (no variable), so the daemon behaves the same under any supervisor. The watchdog interval is half of
/// <c>WATCHDOG_USEC</c>, honoured only when <c>WATCHDOG_PID</c> is unset or names this process.
/// </summary>
public sealed class SystemdNotifier : IDisposable
{
    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _endpoint;

    // The watchdog ping goes out every few seconds for the daemon's whole life: its bytes and the socket address are
    // made once, so a ping allocates nothing.
    private static readonly byte[] WatchdogPing = "WATCHDOG=1"u8.ToArray();
    private readonly SocketAddress? _address;

    public SystemdNotifier(IReadOnlyDictionary<string, string?> environment, int processId)
    {
        if (environment.GetValueOrDefault("NOTIFY_SOCKET") is { Length: > 0 } path)
        {
            // "@name" is Linux's abstract namespace: the name starts with a NUL byte.
            _endpoint = new UnixDomainSocketEndPoint(path[0] == '@' ? "\0" + path[1..] : path);
            // Non-blocking: the realtime event loop sends these, and a Unix datagram socket makes the sender wait once
            // ten are queued unread (a busy or restarting systemd); a notification refused then is sent again later.
            _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
            _address = _endpoint.Serialize();
        }

        if (long.TryParse(environment.GetValueOrDefault("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out long usec) && usec > 0
            && (environment.GetValueOrDefault("WATCHDOG_PID") is not { Length: > 0 } pid || pid == processId.ToString(CultureInfo.InvariantCulture)))
        {
            WatchdogInterval = TimeSpan.FromMicroseconds(usec / 2.0);
        }
    }

    /// <summary>The process environment, as systemd sets it.</summary>
    public static SystemdNotifier FromEnvironment() =>
        new(Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal), Environment.ProcessId);

    public bool Enabled => _socket is not null;

    /// <summary>How often to send WATCHDOG=1 (half the unit's WatchdogSec), or null when no watchdog is armed.</summary>
    public TimeSpan? WatchdogInterval { get; }

    /// <summary>Sends the lines; false when there is nowhere to send or the send failed (never throws).</summary>
    public bool Notify(params string[] lines)
    {
        if (_socket is null || _endpoint is null)
        {
            return false;
        }

        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(string.Join('\n', lines)), _endpoint);
            return true;
        }
        catch (SocketException)
        {
            // systemd gone (e.g. during its own restart): the next notification tries again.
            return false;
        }
    }

    /// <summary>WATCHDOG=1, without allocating; false as <see cref="Notify"/>.</summary>
    public bool NotifyWatchdog()
    {
        if (_socket is null || _address is null)
        {
            return false;
        }

        try
        {
            _socket.SendTo(WatchdogPing, SocketFlags.None, _address);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>STATUS= must be one line.</summary>
    public static string StatusLine(string text) => "STATUS=" + text.ReplaceLineEndings(" ");

    public void Dispose() => _socket?.Dispose();
}
