using Heartbeat.Protocol.Config;
using Serilog;
using Serilog.Events;

namespace Heartbeat.Daemon.Logging;

/// <summary>
/// Where the daemon's log goes, decided once at start from the command line and ha.cf: journald (natively, with
/// fields) under systemd or with <c>--log journal</c>, otherwise stderr; and in addition ha.cf's <c>logfile</c>
/// (info and above) and <c>debugfile</c> (everything logged), as 3.0.6 writes them. <c>logfacility none</c> turns
/// syslog off in 3.0.6, so it keeps an automatic choice off the journal too. <c>debug N</c> (N &gt; 0) adds debug
/// entries.
/// </summary>
public static class DaemonLogging
{
    public static bool UsesJournal(DaemonSettings settings, HaCf haCf) => settings.LogTarget switch
    {
        LogTarget.Journal => true,
        LogTarget.Console => false,
        _ => Environment.GetEnvironmentVariable("JOURNAL_STREAM") is { Length: > 0 }
            && !string.Equals(haCf.LogFacility, "none", StringComparison.OrdinalIgnoreCase)
            && JournaldSink.Available(),
    };

    /// <param name="events">The ring <c>hbctl events</c> reads; fed from the log writer thread.</param>
    public static Serilog.Core.Logger Create(DaemonSettings settings, HaCf haCf, Protocol.Events.EventRing? events = null)
    {
        var configuration = new LoggerConfiguration().MinimumLevel.Verbose();
        configuration = UsesJournal(settings, haCf)
            ? configuration.WriteTo.Sink(new JournaldSink(settings.NodeName, haCf.LogFacility))
            : configuration.WriteTo.Sink(new StderrSink());

        // 3.0.6: "logfile /dev/null" (or none given) means no log file.
        if (haCf.LogFile is { Length: > 0 } logFile && logFile != "/dev/null")
        {
            configuration = configuration.WriteTo.Sink(new HaLogFileSink(logFile, settings.NodeName), LogEventLevel.Information);
        }

        if (haCf.DebugFile is { Length: > 0 } debugFile && debugFile != "/dev/null")
        {
            configuration = configuration.WriteTo.Sink(new HaLogFileSink(debugFile, settings.NodeName));
        }

        if (events is not null)
        {
            configuration = configuration.WriteTo.Sink(new EventRingSink(events, settings.NodeName));
        }

        // The sinks run on the log writer thread (BackgroundSink): nothing on the loop or the takeover path waits for I/O.
        var level = settings.DebugLevel > 0 ? LogEventLevel.Debug : LogEventLevel.Information;
        return new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .WriteTo.Sink(new BackgroundSink(configuration.CreateLogger()))
            .CreateLogger();
    }
}
