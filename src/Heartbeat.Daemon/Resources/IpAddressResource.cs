using Heartbeat.Daemon.Logging;
using Heartbeat.Daemon.Net;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Resources;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Resources;

/// <summary>
/// A VIP handled natively (IPaddr, IPaddr2 and the bare-address shorthand): placed like findif should, added and deleted
/// through rtnetlink, verified with a dump, announced with gratuitous ARP from the interface's MAC.
/// </summary>
public sealed class IpAddressResource(ResourceSpec spec, ArpAnnouncement announcement, ILogger logger) : IManagedResource
{
    public string Name => spec.Text;

    private CancellationTokenSource? _announcing;

    public ResourceSpec Spec => spec;

    /// <summary>The background announcement rounds of the last start (frames sent when complete).</summary>
    public Task<int> Announcing { get; private set; } = Task.FromResult(0);

    /// <summary>Where the address goes on this host now (interfaces and routes read fresh each time).</summary>
    public IpPlacement Resolve(Rtnetlink netlink)
    {
        var links = netlink.GetLinks().ToDictionary(l => l.Index);
        var routes = netlink.GetRoutes()
            .Where(r => r.Scope == 253 && links.ContainsKey(r.OutputIndex)) // RT_SCOPE_LINK: directly connected
            .Select(r => new ConnectedRoute(links[r.OutputIndex].Name, r.Destination, r.PrefixLength))
            .ToList();
        var labels = netlink.GetAddresses().Where(a => a.Label is not null).Select(a => a.Label!).ToHashSet(StringComparer.Ordinal);
        var result = IpPlacementResolver.Resolve(spec, routes, labels);
        return result.Placement ?? throw new ResourceException(result.Problem!);
    }

    public async Task<ResourceOutcome> StartAsync(CancellationToken cancellation)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        await Task.Yield();
        try
        {
            using var netlink = Rtnetlink.Open();
            var existing = Find(netlink);
            IpPlacement placement;
            LinkInfo link;
            if (existing is not null)
            {
                link = netlink.GetLinks().Single(l => l.Index == existing.Index);
                placement = new IpPlacement(existing.Address, existing.PrefixLength, link.Name, existing.Broadcast, existing.Label);
                ResourceLog.AddressPresent(logger, Name, placement.ToString());
            }
            else
            {
                placement = Resolve(netlink);
                link = netlink.GetLinks().FirstOrDefault(l => l.Name == placement.Interface)
                    ?? throw new ResourceException($"interface {placement.Interface} does not exist");
                netlink.AddAddress(link.Index, placement.Address, placement.PrefixLength, placement.Broadcast, placement.Label);

                // Trust, but verify: the address must now be in the kernel's own list.
                if (Find(netlink) is null)
                {
                    throw new ResourceException($"{placement} was accepted by the kernel but is not on {placement.Interface}");
                }

                ResourceLog.AddressAdded(logger, Name, placement.ToString());
            }

            // First round now; the rest in the background (cancelled when the address is given up).
            _announcing?.Cancel();
            _announcing = new CancellationTokenSource();
            Announcing = GratuitousArp.Announce(link.Index, link.Mac, placement.Address, announcement, _announcing.Token);
            var toFirstArp = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            return ResourceOutcome.Ok(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{placement} up, {announcement.Count} rounds of gratuitous ARP from {Convert.ToHexString(link.Mac)}, first {toFirstArp.TotalMicroseconds:0} µs after the start"));
        }
        catch (Exception ex) when (ex is ResourceException or Interop.NativeCallException or TimeoutException or InvalidDataException)
        {
            return ResourceOutcome.Failed(ex.Message);
        }
    }

    public Task<ResourceOutcome> StopAsync(CancellationToken cancellation)
    {
        // Never announce an address we are giving up.
        _announcing?.Cancel();
        try
        {
            using var netlink = Rtnetlink.Open();
            var existing = Find(netlink);
            if (existing is null)
            {
                // Stopping a stopped resource succeeds (3.0.6 stops every group at shutdown, held or not).
                return Task.FromResult(ResourceOutcome.Ok($"{spec.Ip!.Address} was not configured"));
            }

            netlink.DeleteAddress(existing.Index, existing.Address, existing.PrefixLength);
            if (Find(netlink) is not null)
            {
                return Task.FromResult(ResourceOutcome.Failed($"{existing.Address} is still configured after RTM_DELADDR"));
            }

            ResourceLog.AddressDeleted(logger, Name, $"{existing.Address}/{existing.PrefixLength}");
            return Task.FromResult(ResourceOutcome.Ok($"{existing.Address}/{existing.PrefixLength} removed"));
        }
        catch (Exception ex) when (ex is Interop.NativeCallException or TimeoutException or InvalidDataException)
        {
            return Task.FromResult(ResourceOutcome.Failed(ex.Message));
        }
    }

    public Task<bool> IsRunningAsync(CancellationToken cancellation)
    {
        try
        {
            using var netlink = Rtnetlink.Open();
            return Task.FromResult(Find(netlink) is not null);
        }
        catch (Exception ex) when (ex is Interop.NativeCallException or TimeoutException or InvalidDataException)
        {
            return Task.FromResult(false);
        }
    }

    /// <summary>The VIP as configured now on any interface (the same address elsewhere is still ours to manage).</summary>
    public InterfaceAddress? Find(Rtnetlink netlink) => netlink.GetAddresses().FirstOrDefault(a => a.Address.Equals(spec.Ip!.Address));
}

/// <summary>A resource action that cannot be done; the message says why.</summary>
public sealed class ResourceException(string message) : Exception(message);
