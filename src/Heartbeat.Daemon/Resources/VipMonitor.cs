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

    /// <summary>
    /// One address dump for all the VIPs; the missing ones are put back together (<see cref="IpAddressResource.StartAll"/>)
    /// and announced.
    /// </summary>
    public Task CheckOnceAsync(CancellationToken cancellation)
    {
        bool[] present;
        try
        {
            present = IpAddressResource.PresentAll(held);
        }
        catch (Exception ex) when (ex is Interop.NativeCallException or TimeoutException or InvalidDataException)
        {
            foreach (var vip in held)
            {
                ResourceLog.MonitorError(logger, vip.Name, ex.Message);
            }

            return Task.CompletedTask;
        }

        var missing = held.Where((_, i) => !present[i]).ToList();
        if (missing.Count == 0)
        {
            return Task.CompletedTask;
        }

        foreach (var vip in missing)
        {
            ResourceLog.VipVanished(logger, vip.Name);
        }

        var outcomes = IpAddressResource.StartAll(missing);
        for (int i = 0; i < missing.Count; i++)
        {
            ResourceLog.ResourceResult(logger, missing[i].Name, "restore", outcomes[i].Success, outcomes[i].Detail);
            if (outcomes[i].Success)
            {
                Restored++;
            }
        }

        return Task.CompletedTask;
    }
}
