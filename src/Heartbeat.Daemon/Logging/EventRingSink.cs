using Heartbeat.Protocol.Events;
using Serilog.Core;
using Serilog.Events;

namespace Heartbeat.Daemon.Logging;

/// <summary>
/// Feeds the event stream (<c>hbctl events</c>) from the log: the entries whose journald HB_EVENT name is in the
/// stream's vocabulary (<see cref="EventNames"/>) go into the ring with their named values, so the stream and the
/// journal name every event alike. Runs on the log writer thread (behind <see cref="BackgroundSink"/>): the event loop
/// never formats or waits for it.
/// </summary>
public sealed class EventRingSink(EventRing ring, string node) : ILogEventSink
{
    private static readonly Dictionary<LogEventLevel, string> Levels = new()
    {
        [LogEventLevel.Verbose] = "debug",
        [LogEventLevel.Debug] = "debug",
        [LogEventLevel.Information] = "info",
        [LogEventLevel.Warning] = "warning",
        [LogEventLevel.Error] = "error",
        [LogEventLevel.Fatal] = "crit",
    };

    public void Emit(LogEvent logEvent)
    {
        var (_, name) = LogText.EventId(logEvent);
        if (name is not { Length: > 0 })
        {
            return;
        }

        string eventName = JournaldSink.EventName(name);
        if (!EventNames.IsStreamed(eventName))
        {
            return;
        }

        var fields = new List<KeyValuePair<string, string>>(logEvent.Properties.Count);
        foreach (var (key, value) in logEvent.Properties)
        {
            if (!LogText.IsEnvelope(key))
            {
                fields.Add(new(JournaldSink.EventName(key), LogText.Value(value)));
            }
        }

        ring.Append(logEvent.Timestamp, eventName, Levels[logEvent.Level], node, LogText.Message(logEvent), fields);
    }
}
