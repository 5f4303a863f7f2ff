using Heartbeat.Daemon.Logging;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Resources;

/// <summary>
/// Checks the VIPs this node holds: one that disappeared (an <c>ifdown</c>, an admin's <c>ip addr del</c>) is put back
/// and announced again, and the event is logged. The daemon checks when the kernel reports a VIP deleted (see
/// the node loop's VipWatch); <c>heartbeat resource hold</c> checks at a fixed interval.
/// </summary>
public sealed class VipMonitor(IReadOnlyList<IpAddressResource> held, ILogger logger)
{
    public int Restored { get; private set; }

    /// <summary>Checks every <paramref name="interval"/> until cancelled, so a removed VIP returns within one interval.</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken cancellation)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellation).ConfigureAwait(false))
            {
                await CheckOnceAsync(cancellation).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Released.
        }
    }

    public async Task CheckOnceAsync(CancellationToken cancellation)
    {
        foreach (var vip in held)
        {
            bool present;
            try
            {
                present = vip.IsPresent();
            }
            catch (Exception ex) when (ex is Interop.NativeCallException or TimeoutException or InvalidDataException)
            {
                ResourceLog.MonitorError(logger, vip.Name, ex.Message);
                continue;
            }

            if (present)
            {
                continue;
            }

            ResourceLog.VipVanished(logger, vip.Name);
            var outcome = await vip.StartAsync(cancellation).ConfigureAwait(false);
            ResourceLog.ResourceResult(logger, vip.Name, "restore", outcome.Success, outcome.Detail);
            if (outcome.Success)
            {
                Restored++;
            }
        }
    }
}
