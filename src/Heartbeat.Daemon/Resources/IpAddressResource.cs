using Heartbeat.Daemon.Logging;
using Heartbeat.Daemon.Net;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Resources;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Resources;

/// <summary>
/// A VIP handled natively (IPaddr, IPaddr2, IPv6addr and the bare-address shorthand): placed like findif should, added
/// and deleted through rtnetlink, verified with a dump, announced from the interface's MAC with gratuitous ARP (IPv4)
/// or unsolicited neighbour advertisements (IPv6, once duplicate address detection has passed).
/// </summary>
/// <remarks>
/// The takeover path is the point of this class. 3.0.6 forks ResourceManager → IPaddr2 → ip → send_arp after a death;
/// here the netlink and packet sockets are opened once, the placement (interface, MAC, prefix, broadcast, label) is
/// resolved ahead (<see cref="Prepare"/>), and a start is one RTM_NEWADDR and one sendmmsg before anything else;
/// the checks that need dumps (the address really there, still the right place, not already elsewhere) come right
/// after the first ARP round and correct what they find. Start, stop and status of one resource never run at once
/// (the executor's group queue), and a lock makes sure of it for the shared sockets.
/// A group's contiguous VIPs start and stop together (<see cref="StartAll"/>, <see cref="StopAll"/>): one batch of
/// netlink requests, the first ARP round of every VIP, one dump of each kind for the checks of all, and the later
/// rounds of all in one timer tick each, so a group of 256 VIPs costs little more than one of a single VIP.
/// </remarks>
/// <param name="sockets">The sockets and lock shared by every VIP of the executor (null: this VIP's own).</param>
public sealed partial class IpAddressResource(ResourceSpec spec, ArpAnnouncement announcement, ILogger logger, AddressSockets? sockets = null) : IManagedResource, IDisposable
{
    private readonly AddressSockets _sockets = sockets ?? new AddressSockets();
    private readonly bool _ownSockets = sockets is null;
    private CancellationTokenSource? _announcing;
    private Prepared? _prepared;

    public string Name => spec.Text;

    public ResourceSpec Spec => spec;

    /// <summary>For the batches (<see cref="StartAll"/>, <see cref="StopAll"/>), which act on other instances than this.</summary>
    private ILogger Logger => logger;

    private ArpAnnouncement Announcement => announcement;

    /// <summary>The background announcement rounds of the last start (frames sent when complete).</summary>
    public Task<int> Announcing { get; private set; } = Task.FromResult(0);

    /// <summary>When the first gratuitous ARP (or neighbour advertisement) of the last start was handed to the kernel (a Stopwatch timestamp; 0 before any).</summary>
    public long FirstAnnouncementAt { get; private set; }

    /// <summary>What that first frame was: "gratuitous ARP" (IPv4) or "neighbour advertisement" (IPv6).</summary>
    public string FirstAnnouncementKind { get; private set; } = "gratuitous ARP";

    /// <summary>When the last start asked the kernel for the address (a Stopwatch timestamp; 0 before any).</summary>
    public long AddressRequestedAt { get; private set; }

    /// <summary>
    /// Opens the sockets and resolves the placement ahead of a takeover (and touches every page of the path once, so
    /// the first takeover of the process is as fast as the next). A placement that cannot be resolved now is not an
    /// error yet: the start resolves again and reports it.
    /// </summary>
    public string? Prepare() => PrepareAll([this])[0];

    private string? PrepareFrom(KernelView view)
    {
        try
        {
            var (placement, link) = ResolveWithLink(view);
            _prepared = Prepared.For(placement, link);
            return null;
        }
        catch (ResourceException ex)
        {
            _prepared = null;
            return ex.Message;
        }
    }

    /// <summary>
    /// Adds the address (if missing) and sends the first ARP round before anything else: no log entry, no dump, no
    /// socket to open stands between the decision to take over and the frame on the wire.
    /// </summary>
    public Task<ResourceOutcome> StartAsync(CancellationToken cancellation) => Task.FromResult(StartAll([this])[0]);

    public Task<ResourceOutcome> StopAsync(CancellationToken cancellation) => Task.FromResult(StopAll([this])[0]);

    /// <summary>The careful start of one VIP (IPv6, nothing prepared, or its interface gone): every dump it needs, in turn.</summary>
    private ResourceOutcome StartAlone(Rtnetlink netlink, Interop.FileDescriptorHandle arp, long started)
    {
        try
        {
            // IPv6: subscribed before the address is added, so that the end of duplicate address detection is seen.
            using var dad = IsIpv6 ? DadWatch.Open() : null;
            AddressRequestedAt = System.Diagnostics.Stopwatch.GetTimestamp();
            bool added;
            var prepared = _prepared;
            if (prepared is not null && TryAdd(netlink, prepared, out added))
            {
                AwaitDad(netlink, dad, prepared);
                AnnounceOne(arp, prepared);
                (prepared, added) = Reconcile(netlink, arp, prepared, added, KernelView.Read(netlink));
            }
            else
            {
                // Nothing prepared, or the prepared interface is gone: the careful way, every dump first.
                (prepared, added) = Place(netlink);
                AwaitDad(netlink, dad, prepared);
                AnnounceOne(arp, prepared);
            }

            _prepared = prepared;
            return Succeeded(prepared, added, started);
        }
        catch (Exception ex) when (ex is ResourceException or Interop.NativeCallException or TimeoutException or InvalidDataException)
        {
            _announcing?.Cancel();
            return ResourceOutcome.Failed(ex.Message);
        }
    }

    private ResourceOutcome Succeeded(Prepared prepared, bool added, long started)
    {
        var toFirstArp = System.Diagnostics.Stopwatch.GetElapsedTime(started, FirstAnnouncementAt);
        if (added)
        {
            ResourceLog.AddressAdded(logger, Name, prepared.Placement.ToString());
        }
        else
        {
            ResourceLog.AddressPresent(logger, Name, prepared.Placement.ToString());
        }

        return ResourceOutcome.Ok(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{prepared.Placement} up, {announcement.Count} rounds of {prepared.Frames.Kind} from {Convert.ToHexString(prepared.Mac)}, first {toFirstArp.TotalMicroseconds:0} µs after the start"));
    }

    public Task<bool> IsRunningAsync(CancellationToken cancellation)
    {
        try
        {
            return Task.FromResult(IsPresent());
        }
        catch (Exception ex) when (ex is Interop.NativeCallException or TimeoutException or InvalidDataException)
        {
            return Task.FromResult(false);
        }
    }

    /// <summary>Whether the VIP is configured on any interface now (throws when the kernel cannot be asked).</summary>
    public bool IsPresent() => Locate() is not null;

    /// <summary>
    /// Where the VIP is configured now ("address/prefix" and the interface's name), or null when it is on none (throws
    /// when the kernel cannot be asked). The same address on another interface is still ours to manage.
    /// </summary>
    public (string Address, string Interface)? Locate()
    {
        lock (_sockets.Lock)
        {
            try
            {
                var netlink = _sockets.Netlink();
                if (Find(netlink) is not { } present)
                {
                    return null;
                }

                string iface = netlink.GetLinks().FirstOrDefault(l => l.Index == present.Index)?.Name ?? "?";
                return ($"{present.Address}/{present.PrefixLength}", iface);
            }
            catch (Exception ex) when (ex is Interop.NativeCallException or TimeoutException or InvalidDataException)
            {
                _sockets.DropNetlink();
                throw;
            }
        }
    }

    private InterfaceAddress? Find(Rtnetlink netlink) => netlink.GetAddresses().FirstOrDefault(a => a.Address.Equals(spec.Ip!.Address));

    public void Dispose()
    {
        lock (_sockets.Lock)
        {
            _announcing?.Cancel();
            if (_ownSockets)
            {
                _sockets.Dispose();
            }
        }
    }

    private (IpPlacement Placement, LinkInfo Link) ResolveWithLink(KernelView view)
    {
        var result = IpPlacementResolver.Resolve(spec, view.ConnectedRoutes, view.Labels);
        var placement = result.Placement ?? throw new ResourceException(result.Problem!);
        var link = view.Links.Values.FirstOrDefault(l => l.Name == placement.Interface)
            ?? throw new ResourceException($"interface {placement.Interface} does not exist");
        return (placement, link);
    }

    /// <summary>The prepared placement, straight to the kernel; false when that interface no longer exists.</summary>
    private static bool TryAdd(Rtnetlink netlink, Prepared prepared, out bool added)
    {
        var p = prepared.Placement;
        try
        {
            added = netlink.AddAddress(prepared.Index, p.Address, p.PrefixLength, p.Broadcast, p.Label);
            return true;
        }
        catch (Interop.NativeCallException ex) when (ex.Errno == Interop.Errno.Enodev)
        {
            // The interface went away since it was prepared.
            added = false;
            return false;
        }
    }

    /// <summary>The careful start: the address where it already is, or placed afresh from links, routes and labels.</summary>
    private (Prepared Prepared, bool Added) Place(Rtnetlink netlink)
    {
        if (Find(netlink) is { } existing)
        {
            var link = netlink.GetLinks().Single(l => l.Index == existing.Index);
            return (Prepared.For(new IpPlacement(existing.Address, existing.PrefixLength, link.Name, existing.Broadcast, existing.Label), link), false);
        }

        var (placement, resolvedLink) = ResolveWithLink(KernelView.Read(netlink));
        netlink.AddAddress(resolvedLink.Index, placement.Address, placement.PrefixLength, placement.Broadcast, placement.Label);

        // Trust, but verify: the address must now be in the kernel's own list.
        if (Find(netlink) is null)
        {
            throw new ResourceException($"{placement} was accepted by the kernel but is not on {placement.Interface}");
        }

        return (Prepared.For(placement, resolvedLink), true);
    }

    /// <summary>
    /// After the fast start's first ARP: the address must be in the kernel's list; if it was already configured
    /// somewhere else (an admin, a leftover), the copy just added goes and that one is announced instead; and if the
    /// placement resolved now differs from the prepared one (routes changed since), the address moves there.
    /// </summary>
    private (Prepared Prepared, bool Added) Reconcile(Rtnetlink netlink, Interop.FileDescriptorHandle arp, Prepared prepared, bool added, KernelView view)
    {
        var p = prepared.Placement;
        var copies = view.CopiesOf(p.Address);
        var ours = copies.FirstOrDefault(a => a.Index == prepared.Index && a.PrefixLength == p.PrefixLength);
        if (ours is null)
        {
            throw new ResourceException($"{p} was accepted by the kernel but is not on {p.Interface}");
        }

        if (added && copies.FirstOrDefault(a => a != ours) is { } elsewhere)
        {
            netlink.DeleteAddress(ours.Index, ours.Address, ours.PrefixLength);
            var link = view.Links[elsewhere.Index];
            var kept = Prepared.For(new IpPlacement(elsewhere.Address, elsewhere.PrefixLength, link.Name, elsewhere.Broadcast, elsewhere.Label), link);
            AnnounceOne(arp, kept);
            return (kept, false);
        }

        if (added)
        {
            var (fresh, freshLink) = ResolveWithLink(view);
            if (freshLink.Index != prepared.Index || fresh.PrefixLength != p.PrefixLength || !Equals(fresh.Broadcast, p.Broadcast) || !freshLink.Mac.AsSpan().SequenceEqual(prepared.Mac))
            {
                netlink.DeleteAddress(prepared.Index, p.Address, p.PrefixLength);
                netlink.AddAddress(freshLink.Index, fresh.Address, fresh.PrefixLength, fresh.Broadcast, fresh.Label);
                var moved = Prepared.For(fresh, freshLink);
                AnnounceOne(arp, moved);
                return (moved, true);
            }
        }

        return (prepared, added);
    }

    private void AnnounceOne(Interop.FileDescriptorHandle arp, Prepared prepared)
    {
        if (Announce(arp, [(this, prepared)])[0] is { } failure)
        {
            throw failure;
        }
    }

    private bool IsIpv6 => spec.Ip!.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;

    /// <summary>
    /// The longest an IPv6 start waits for duplicate address detection: the kernel's defaults take up to about 2 s
    /// (a random delay of up to rtr_solicit_delay, then dad_transmits probes retrans_time apart); an address still
    /// tentative after this is on a link that does not work (no carrier), and the start fails.
    /// </summary>
    private static readonly TimeSpan DadBound = TimeSpan.FromSeconds(10);

    /// <summary>
    /// IPv6: returns once the kernel's duplicate address detection passed. An address in use on the link fails the
    /// start as IPv6addr's does (the copy we added is deleted first), so the group goes to the peer like any failed
    /// start; no advertisement is sent for it, since it would turn the other holder's traffic to us.
    /// </summary>
    private static void AwaitDad(Rtnetlink netlink, DadWatch? dad, Prepared prepared)
    {
        if (dad is null)
        {
            return;
        }

        var p = prepared.Placement;
        var outcome = dad.Wait(netlink, prepared.Index, p.Address, DadBound);
        if (outcome == DadOutcome.Usable)
        {
            return;
        }

        netlink.DeleteAddress(prepared.Index, p.Address, p.PrefixLength);
        throw new ResourceException(outcome switch
        {
            DadOutcome.Failed => $"{p}: duplicate address detection failed: {p.Address} is in use on the link",
            DadOutcome.Gone => $"{p}: the address went away during duplicate address detection",
            _ => $"{p}: still tentative after 10 s of duplicate address detection (does {p.Interface} have carrier?)",
        });
    }

    /// <summary>A placement resolved ahead: where the address goes, the interface's index and MAC, and the announcement frames.</summary>
    private sealed record Prepared(IpPlacement Placement, int Index, byte[] Mac, bool Router)
    {
        public AnnouncementFrames Frames { get; } = AnnouncementFrames.For(Index, Mac, Placement.Address, Router);

        public AddressRequest AddRequest => new(true, Index, Placement.Address, Placement.PrefixLength, Placement.Broadcast, Placement.Label);

        /// <summary>The router flag of an IPv6 advertisement follows the interface's forwarding setting, read now.</summary>
        public static Prepared For(IpPlacement placement, LinkInfo link) =>
            new(placement, link.Index, link.Mac, placement.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && NeighborAdvertisement.Forwards(link.Name));
    }
}

/// <summary>A resource action that cannot be done; the message says why.</summary>
public sealed class ResourceException(string message) : Exception(message);
