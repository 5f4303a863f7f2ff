using System.Globalization;
using System.Text;
using Serilog.Core;
using Serilog.Events;

namespace Heartbeat.Daemon.Logging;

/// <summary>
/// ha.cf's <c>logfile</c> and <c>debugfile</c>, written the way 3.0.6 writes them so that scripts and habits that read
/// ha-log keep working: <c>Nov 30 05:15:02 server1 heartbeat: [1234]: WARN: message</c>, with 3.0.6's level words
/// (debug, info, WARN, ERROR, CRIT). Like 3.0.6 the file is opened for each entry and closed again, so logrotate can
/// move it away without a signal. A file that cannot be written is reported once on stderr and the entry dropped:
/// logging never stops the daemon.
/// </summary>
public sealed class HaLogFileSink(string path, string node) : ILogEventSink
{
    private static readonly int ProcessId = Environment.ProcessId;
    private readonly Lock _lock = new();
    private long _dropped;
    private bool _reported;

    public string Path { get; } = path;

    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>3.0.6's words for syslog priorities (cl_log's prio names).</summary>
    public static string LevelWord(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose or LogEventLevel.Debug => "debug",
        LogEventLevel.Information => "info",
        LogEventLevel.Warning => "WARN",
        LogEventLevel.Error => "ERROR",
        _ => "CRIT",
    };

    public static string Line(LogEvent e, string node) => string.Create(
        CultureInfo.InvariantCulture,
        $"{e.Timestamp.ToLocalTime():MMM dd HH:mm:ss} {node} heartbeat: [{ProcessId}]: {LevelWord(e.Level)}: {LogText.Message(e)}\n");

    public void Emit(LogEvent logEvent)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(Line(logEvent, node));
        lock (_lock)
        {
            try
            {
                using var file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                file.Write(bytes);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Interlocked.Increment(ref _dropped);
                if (!_reported)
                {
                    _reported = true;
                    Console.Error.WriteLine($"heartbeat: cannot write the log file {Path}: {ex.Message} (entries for it are dropped)");
                }
            }
        }
    }
}
