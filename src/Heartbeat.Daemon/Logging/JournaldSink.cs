using System.Globalization;
using System.Net.Sockets;
using Serilog.Core;
using Serilog.Events;

namespace Heartbeat.Daemon.Logging;

/// <summary>
/// A Serilog sink that writes every event to journald with its structure kept: MESSAGE, PRIORITY,
/// SYSLOG_IDENTIFIER=heartbeat, SYSLOG_FACILITY (ha.cf's logfacility), HB_NODE (this node), HB_CATEGORY, HB_EVENT
/// (the event's name in snake case, e.g. <c>node_dead</c>, <c>takeover</c>) with HB_EVENT_ID, and each named value of
/// the message as HB_&lt;NAME&gt; (HB_PEER, HB_GROUP, HB_RESOURCE, HB_REASON, …), so <c>journalctl HB_EVENT=takeover
/// HB_PEER=server1</c> works. A datagram journald cannot take (too big, socket gone) is counted and dropped; logging
/// never blocks or throws.
/// </summary>
public sealed class JournaldSink : ILogEventSink, IDisposable
{
    public const string DefaultSocket = "/run/systemd/journal/socket";

    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly UnixDomainSocketEndPoint _endpoint;
    private readonly string _node;
    private readonly string? _facility;
    private long _dropped;

    public JournaldSink(string node, string? logFacility, string socketPath = DefaultSocket)
    {
        _endpoint = new UnixDomainSocketEndPoint(socketPath);
        _node = node;
        _facility = SyslogFacility(logFacility)?.ToString(CultureInfo.InvariantCulture);
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Whether a journal listens here (the daemon falls back to stderr otherwise).</summary>
    public static bool Available(string socketPath = DefaultSocket) => File.Exists(socketPath);

    /// <summary>syslog(3) facility numbers for ha.cf's logfacility names.</summary>
    public static int? SyslogFacility(string? name) => name?.ToLowerInvariant() switch
    {
        "kern" => 0, "user" => 1, "mail" => 2, "daemon" => 3, "auth" => 4, "syslog" => 5, "lpr" => 6, "news" => 7,
        "uucp" => 8, "cron" => 9, "authpriv" => 10, "ftp" => 11,
        "local0" => 16, "local1" => 17, "local2" => 18, "local3" => 19, "local4" => 20, "local5" => 21, "local6" => 22, "local7" => 23,
        _ => null,
    };

    /// <summary>syslog priorities: 2 crit, 3 err, 4 warning, 6 info, 7 debug.</summary>
    public static int Priority(LogEventLevel level) => level switch
    {
        LogEventLevel.Fatal => 2,
        LogEventLevel.Error => 3,
        LogEventLevel.Warning => 4,
        LogEventLevel.Information => 6,
        _ => 7,
    };

    /// <summary>"NodeDead" → "node_dead".</summary>
    public static string EventName(string name) => JournaldDatagram.FieldName(name).ToLowerInvariant();

    public void Emit(LogEvent logEvent) => Send(Format(logEvent));

    internal byte[] Format(LogEvent e)
    {
        var entry = new JournaldDatagram()
            .Add("MESSAGE", LogText.Message(e))
            .Add("PRIORITY", Priority(e.Level).ToString(CultureInfo.InvariantCulture))
            .Add("SYSLOG_IDENTIFIER", "heartbeat")
            .Add("SYSLOG_FACILITY", _facility)
            .Add("HB_NODE", _node)
            .Add("HB_CATEGORY", LogText.Category(e));
        var (id, name) = LogText.EventId(e);
        if (id != 0)
        {
            entry.Add("HB_EVENT_ID", id.ToString(CultureInfo.InvariantCulture));
        }

        if (name is { Length: > 0 })
        {
            entry.Add("HB_EVENT", EventName(name));
        }

        foreach (var (key, value) in e.Properties)
        {
            if (!LogText.IsEnvelope(key))
            {
                entry.Add("HB_" + JournaldDatagram.FieldName(key), LogText.Value(value));
            }
        }

        return entry.ToArray();
    }

    private void Send(byte[] datagram)
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

    public void Dispose() => _socket.Dispose();
}
