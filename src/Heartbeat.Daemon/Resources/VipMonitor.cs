using Heartbeat.Daemon.Logging;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Resources;

/// <summary>
/// Watches the VIPs this node holds: one that disappears (an <c>ifdown</c>, an admin's <c>ip addr del</c>) is put back
/// and announced again at the next check, and the event is logged. Checks every <paramref name="interval"/>
/// (the keepalive), so a removed VIP returns within one keepalive.
/// </summary>
public sealed class VipMonitor(IReadOnlyList<IpAddressResource> held, TimeSpan interval, ILogger logger)
{
    public int Restored { get; private set; }

    public async Task RunAsync(CancellationToken cancellation)
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
