using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Logging;

/// <summary>
/// Writes every log entry to journald with its structure kept: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER=heartbeat,
/// SYSLOG_FACILITY (ha.cf's logfacility), HB_NODE (this node), HB_EVENT (the event's name in snake case, e.g.
/// <c>node_dead</c>, <c>takeover</c>) with HB_EVENT_ID, and each named value of the message as HB_&lt;NAME&gt; (HB_PEER,
/// HB_GROUP, HB_RESOURCE, HB_REASON, …), so <c>journalctl HB_EVENT=takeover HB_PEER=server1</c> works. A datagram
/// journald cannot take (too big, socket gone) is counted and dropped; logging never blocks or throws.
/// </summary>
public sealed class JournaldLoggerProvider : ILoggerProvider
{
    public const string DefaultSocket = "/run/systemd/journal/socket";

    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly UnixDomainSocketEndPoint _endpoint;
    private readonly string _node;
    private readonly string? _facility;
    private long _dropped;

    public JournaldLoggerProvider(string node, string? logFacility, string socketPath = DefaultSocket)
    {
        _endpoint = new UnixDomainSocketEndPoint(socketPath);
        _node = node;
        _facility = SyslogFacility(logFacility)?.ToString(CultureInfo.InvariantCulture);
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Whether a journal listens here (the daemon falls back to stderr otherwise).</summary>
    public static bool Available(string socketPath = DefaultSocket) => File.Exists(socketPath);

    public ILogger CreateLogger(string categoryName) => new JournaldLogger(this, categoryName);

    public void Dispose() => _socket.Dispose();

    /// <summary>syslog(3) facility numbers for ha.cf's logfacility names.</summary>
    public static int? SyslogFacility(string? name) => name?.ToLowerInvariant() switch
    {
        "kern" => 0, "user" => 1, "mail" => 2, "daemon" => 3, "auth" => 4, "syslog" => 5, "lpr" => 6, "news" => 7,
        "uucp" => 8, "cron" => 9, "authpriv" => 10, "ftp" => 11,
        "local0" => 16, "local1" => 17, "local2" => 18, "local3" => 19, "local4" => 20, "local5" => 21, "local6" => 22, "local7" => 23,
        _ => null,
    };

    /// <summary>syslog priorities: 2 crit, 3 err, 4 warning, 6 info, 7 debug.</summary>
    public static int Priority(LogLevel level) => level switch
    {
        LogLevel.Critical => 2,
        LogLevel.Error => 3,
        LogLevel.Warning => 4,
        LogLevel.Information => 6,
        _ => 7,
    };

    /// <summary>"NodeDead" → "node_dead".</summary>
    public static string EventName(string name) => JournaldDatagram.FieldName(name).ToLowerInvariant();

    internal byte[] Format<TState>(LogLevel level, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter, string category)
    {
        string message = formatter(state, exception);
        if (exception is not null)
        {
            message += "\n" + exception;
        }

        var entry = new JournaldDatagram()
            .Add("MESSAGE", message)
            .Add("PRIORITY", Priority(level).ToString(CultureInfo.InvariantCulture))
            .Add("SYSLOG_IDENTIFIER", "heartbeat")
            .Add("SYSLOG_FACILITY", _facility)
            .Add("HB_NODE", _node)
            .Add("HB_CATEGORY", category);
        if (eventId.Id != 0)
        {
            entry.Add("HB_EVENT_ID", eventId.Id.ToString(CultureInfo.InvariantCulture));
        }

        if (eventId.Name is { Length: > 0 } name)
        {
            entry.Add("HB_EVENT", EventName(name));
        }

        if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            foreach (var (key, value) in values)
            {
                if (key != "{OriginalFormat}")
                {
                    entry.Add("HB_" + JournaldDatagram.FieldName(key), Convert.ToString(value, CultureInfo.InvariantCulture));
                }
            }
        }

        return entry.ToArray();
    }

    internal void Send(byte[] datagram)
    {
        try
        {
            _socket.SendTo(datagram, _endpoint);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private sealed class JournaldLogger(JournaldLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Send(provider.Format(logLevel, eventId, state, exception, formatter, category));
            }
        }
    }
}
