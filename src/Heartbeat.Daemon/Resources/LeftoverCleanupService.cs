using Heartbeat.Protocol.Config;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Resources;

/// <summary>
/// Runs once before membership starts: a VIP of haresources still on an interface here was left by an earlier run
/// (crash, kill -9). One of another node's groups is released at once: 3.0.6 keeps such a duplicate forever. One of
/// this node's home groups is kept for the negotiation to decide (<see cref="KeptGroups"/>): after a crash and restart
/// within the deadtime the peer never took it, and 3.0.6 finds it running and keeps it with zero outage; if the peer
/// did take it, the planner releases our copy as soon as the peer's report says so.
/// </summary>
public sealed class LeftoverCleanupService(DaemonSettings settings, ClusterConfig config, ResourceExecutor executor, ILogger<LeftoverCleanupService> logger) : IHostedService
{
    public int Released { get; private set; }

    /// <summary>Home groups whose VIPs were found up at start and kept for the planner.</summary>
    public IReadOnlyList<string> KeptGroups { get; private set; } = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Only a two-node cluster has a planner to hand them to (NodeLoop decides the same way).
            var home = config.HaCf.NegotiatesResources
                ? config.Resources.Groups.Where(g => string.Equals(g.Node, settings.NodeName, StringComparison.OrdinalIgnoreCase)).Select(g => g.Key).ToHashSet(StringComparer.Ordinal)
                : new HashSet<string>(StringComparer.Ordinal);
            var kept = new List<string>();
            foreach (string key in home)
            {
                if (await executor.IsGroupRunningAsync(key, cancellationToken).ConfigureAwait(false))
                {
                    kept.Add(key);
                    Logging.ResourceLog.LeftoverKept(logger, key);
                }
            }

            KeptGroups = kept;
            Released = await executor.ReleaseLeftoversAsync(home, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Interop.NativeCallException or TimeoutException or InvalidDataException)
        {
            Logging.ResourceLog.MonitorError(logger, "start-up reconciliation", ex.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
