using System.Globalization;
using Serilog.Core;
using Serilog.Events;

namespace Heartbeat.Daemon.Logging;

/// <summary>
/// One line per event on stderr, when there is no journal (a terminal, a test, a container):
/// <c>2026-11-30 05:15:04.649 info: Heartbeat.Daemon.Node.NodeLoop[101] message</c>.
/// </summary>
public sealed class StderrSink(TextWriter? writer = null) : ILogEventSink
{
    private readonly TextWriter _writer = writer ?? Console.Error;
    private readonly Lock _lock = new();

    public static string LevelWord(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose => "trce",
        LogEventLevel.Debug => "dbug",
        LogEventLevel.Information => "info",
        LogEventLevel.Warning => "warn",
        LogEventLevel.Error => "fail",
        _ => "crit",
    };

    public void Emit(LogEvent logEvent)
    {
        var (id, _) = LogText.EventId(logEvent);
        string line = string.Create(
            CultureInfo.InvariantCulture,
            $"{logEvent.Timestamp.ToLocalTime():yyyy-MM-dd HH:mm:ss.fff} {LevelWord(logEvent.Level)}: {LogText.Category(logEvent)}[{id}] {LogText.Message(logEvent)}");
        lock (_lock)
        {
            _writer.WriteLine(line);
            _writer.Flush();
        }
    }
}
