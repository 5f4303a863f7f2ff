using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Logging;

/// <summary>The metrics listener's log lines (event ids 290–299).</summary>
public static partial class MetricsLog
{
    [LoggerMessage(EventId = 290, Level = LogLevel.Information, Message = "Metrics listening on http://{Endpoint}/metrics")]
    public static partial void Listening(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 291, Level = LogLevel.Error, Message = "Metrics cannot listen on {Endpoint}: {Reason}; the cluster runs without the /metrics endpoint (hbctl metrics still works)")]
    public static partial void Unavailable(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 292, Level = LogLevel.Debug, Message = "Metrics client {Client}: {Problem}")]
    public static partial void ClientProblem(ILogger logger, string client, string problem);
}
