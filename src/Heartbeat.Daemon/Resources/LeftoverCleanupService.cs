using Heartbeat.Daemon.Membership;
using Heartbeat.Protocol.Config;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Resources;

/// <summary>
/// Runs once before membership starts: a VIP of haresources still on an interface here was left by an earlier run
/// (crash, kill -9) and is released, since a starting node holds nothing. (From [4/8] on, the negotiation decides which
/// groups this node takes back; until then nothing is acquired by the daemon, so everything found is a leftover.)
/// </summary>
public sealed class LeftoverCleanupService(DaemonSettings settings, ClusterConfig config, ILogger<LeftoverCleanupService> logger) : IHostedService
{
    public int Released { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var executor = ResourceCommand.Create(settings, config, logger);
            Released = await executor.ReleaseLeftoversAsync(new HashSet<string>(StringComparer.Ordinal), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Interop.NativeCallException or TimeoutException or InvalidDataException)
        {
            Logging.ResourceLog.MonitorError(logger, "start-up reconciliation", ex.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
