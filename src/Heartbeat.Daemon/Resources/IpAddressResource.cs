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
/// resolved ahead (<see cref="Prepare"/>), and a start is one RTM_NEWADDR and two sendto calls before anything else;
/// the checks that need dumps (the address really there, still the right place, not already elsewhere) come right
/// after the first ARP round and correct what they find. Start, stop and status of one resource never run at once
/// (the executor's group queue), and a lock makes sure of it for the shared sockets.
/// A group's contiguous VIPs start and stop together (<see cref="StartAll"/>, <see cref="StopAll"/>): one batch of
/// netlink requests, the first ARP round of every VIP, one dump of each kind for the checks of all, and the later
/// rounds of all in one timer tick each, so a group of 256 VIPs costs little more than one of a single VIP.
/// </remarks>
/// <param name="sockets">The sockets and lock shared by every VIP of the executor (null: this VIP's own).</param>
public sealed class IpAddressResource(ResourceSpec spec, ArpAnnouncement announcement, ILogger logger, AddressSockets? sockets = null) : IManagedResource, IDisposable
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

    /// <summary>
    /// <see cref="Prepare"/> for many VIPs with one dump of links, routes and addresses for all: the problem of each
    /// (null: placed), in order.
    /// </summary>
    public static IReadOnlyList<string?> PrepareAll(IReadOnlyList<IpAddressResource> vips)
    {
        EnterAll(vips);
        try
        {
            var sockets = vips[0]._sockets;
            KernelView view;
            try
            {
                var netlink = sockets.Netlink();
                sockets.Arp();
                view = KernelView.Read(netlink);
            }
            catch (Exception ex) when (ex is Interop.NativeCallException or TimeoutException or InvalidDataException)
            {
                sockets.DropNetlink();
                foreach (var vip in vips)
                {
                    vip._prepared = null;
                }

                return [.. vips.Select(_ => ex.Message)];
            }

            return [.. vips.Select(vip => vip.PrepareFrom(view))];
        }
        finally
        {
            ExitAll(vips);
        }
    }

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

    /// <summary>
    /// Starts VIPs together (a group's contiguous addresses; their order among themselves does not matter, each is an
    /// address of its own): the IPv4 ones placed ahead go to the kernel in one batch of RTM_NEWADDR, then every one's
    /// first ARP round goes out (all requests, then all replies), then one dump of addresses, links and routes serves
    /// the checks of all, and the later rounds run in one timer for all. The others (IPv6, which waits for duplicate
    /// address detection; nothing prepared; the prepared interface gone) start one at a time afterwards, the careful
    /// way. The sockets of the first VIP serve all. One outcome per VIP, in order.
    /// </summary>
    public static IReadOnlyList<ResourceOutcome> StartAll(IReadOnlyList<IpAddressResource> run)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var outcomes = new ResourceOutcome?[run.Count];
        EnterAll(run);
        try
        {
            var lead = run[0];
            Rtnetlink netlink;
            Interop.FileDescriptorHandle arp;
            try
            {
                netlink = lead._sockets.Netlink();
                arp = lead._sockets.Arp();
            }
            catch (Exception ex) when (ex is Interop.NativeCallException or TimeoutException or InvalidDataException)
            {
                return [.. run.Select(_ => ResourceOutcome.Failed(ex.Message))];
            }

            // IPv4 VIPs not placed ahead (a one-shot takegroup, or a placement that failed at start-up) are placed now
            // from one dump for all; one that cannot be placed is left to the careful start, which reports why.
            var unplaced = run.Where(r => !r.IsIpv6 && r._prepared is null).ToList();
            if (unplaced.Count > 0)
            {
                try
                {
                    var view = KernelView.Read(netlink);
                    foreach (var vip in unplaced)
                    {
                        vip.PrepareFrom(view);
                    }
                }
                catch (Exception ex) when (ex is Interop.NativeCallException or TimeoutException or InvalidDataException)
                {
                    // The careful start asks again, and reports what fails.
                }
            }

            var fast = Enumerable.Range(0, run.Count).Where(i => !run[i].IsIpv6 && run[i]._prepared is not null).ToList();
            if (fast.Count > 0)
            {
                StartFast(run, fast, netlink, arp, started, outcomes);
            }

            for (int i = 0; i < run.Count; i++)
            {
                outcomes[i] ??= run[i].StartAlone(netlink, arp, started);
            }

            return [.. outcomes.Select(o => o!)];
        }
        finally
        {
            ExitAll(run);
        }
    }

    /// <summary>
    /// Stops VIPs together (a group's contiguous addresses, in the order given): one address dump, one batch of
    /// RTM_DELADDR, one dump to verify. Their announcements end first: never announce an address we are giving up.
    /// </summary>
    public static IReadOnlyList<ResourceOutcome> StopAll(IReadOnlyList<IpAddressResource> run)
    {
        var outcomes = new ResourceOutcome?[run.Count];
        EnterAll(run);
        try
        {
            foreach (var vip in run)
            {
                vip._announcing?.Cancel();
            }

            var lead = run[0];
            try
            {
                var netlink = lead._sockets.Netlink();
                var before = KernelView.ByAddress(netlink.GetAddresses());
                var existing = run.Select(r => before.TryGetValue(r.Spec.Ip!.Address, out var a) ? a : null).ToArray();
                var deleting = Enumerable.Range(0, run.Count).Where(i => existing[i] is not null).ToList();
                int[] errnos = netlink.AddressRequests([.. deleting.Select(i => new AddressRequest(false, existing[i]!.Index, existing[i]!.Address, existing[i]!.PrefixLength))]);
                for (int k = 0; k < deleting.Count; k++)
                {
                    if (errnos[k] is not (0 or Interop.Errno.Eaddrnotavail or Interop.Errno.Enoent))
                    {
                        var e = existing[deleting[k]]!;
                        outcomes[deleting[k]] = ResourceOutcome.Failed(new Interop.NativeCallException($"RTM_DELADDR {e.Address}/{e.PrefixLength}", errnos[k]).Message);
                    }
                }

                var after = KernelView.ByAddress(netlink.GetAddresses());
                for (int i = 0; i < run.Count; i++)
                {
                    if (outcomes[i] is not null)
                    {
                        continue;
                    }

                    if (existing[i] is not { } gone)
                    {
                        // Stopping a stopped resource succeeds (3.0.6 stops every group at shutdown, held or not).
                        outcomes[i] = ResourceOutcome.Ok($"{run[i].Spec.Ip!.Address} was not configured");
                    }
                    else if (after.ContainsKey(gone.Address))
                    {
                        outcomes[i] = ResourceOutcome.Failed($"{gone.Address} is still configured after RTM_DELADDR");
                    }
                    else
                    {
                        ResourceLog.AddressDeleted(run[i].Logger, run[i].Name, $"{gone.Address}/{gone.PrefixLength}");
                        outcomes[i] = ResourceOutcome.Ok($"{gone.Address}/{gone.PrefixLength} removed");
                    }
                }
            }
            catch (Exception ex) when (ex is Interop.NativeCallException or TimeoutException or InvalidDataException)
            {
                lead._sockets.DropNetlink();
                for (int i = 0; i < run.Count; i++)
                {
                    outcomes[i] ??= ResourceOutcome.Failed(ex.Message);
                }
            }

            return [.. outcomes.Select(o => o!)];
        }
        finally
        {
            ExitAll(run);
        }
    }

    /// <summary>The batch of <see cref="StartAll"/>: the prepared IPv4 VIPs at <paramref name="fast"/>; an ENODEV leaves a VIP to the careful start.</summary>
    private static void StartFast(IReadOnlyList<IpAddressResource> run, List<int> fast, Rtnetlink netlink, Interop.FileDescriptorHandle arp, long started, ResourceOutcome?[] outcomes)
    {
        var added = new bool[run.Count];
        var announced = new List<int>(fast.Count);
        try
        {
            long requested = System.Diagnostics.Stopwatch.GetTimestamp();
            int[] errnos = netlink.AddressRequests([.. fast.Select(i => run[i]._prepared!.AddRequest)]);
            for (int k = 0; k < fast.Count; k++)
            {
                int i = fast[k];
                run[i].AddressRequestedAt = requested;
                switch (errnos[k])
                {
                    case 0:
                        added[i] = true;
                        announced.Add(i);
                        break;
                    case Interop.Errno.Eexist:
                        announced.Add(i);
                        break;
                    case 19:
                        // ENODEV: the interface went away since it was prepared; the careful start places it afresh.
                        break;
                    default:
                        var p = run[i]._prepared!.Placement;
                        outcomes[i] = ResourceOutcome.Failed(new Interop.NativeCallException($"RTM_NEWADDR {p.Address}/{p.PrefixLength}", errnos[k]).Message);
                        break;
                }
            }

            var failures = Announce(arp, [.. announced.Select(i => (run[i], run[i]._prepared!))]);
            for (int k = 0; k < announced.Count; k++)
            {
                if (failures[k] is { } failure)
                {
                    outcomes[announced[k]] = ResourceOutcome.Failed(failure.Message);
                }
            }

            // The checks of all, from one dump of each kind.
            var view = KernelView.Read(netlink);
            foreach (int i in announced.Where(i => outcomes[i] is null))
            {
                var vip = run[i];
                try
                {
                    var (prepared, wasAdded) = vip.Reconcile(netlink, arp, vip._prepared!, added[i], view);
                    vip._prepared = prepared;
                    outcomes[i] = vip.Succeeded(prepared, wasAdded, started);
                }
                catch (ResourceException ex)
                {
                    vip._announcing?.Cancel();
                    outcomes[i] = ResourceOutcome.Failed(ex.Message);
                }
            }
        }
        catch (Exception ex) when (ex is Interop.NativeCallException or TimeoutException or InvalidDataException)
        {
            run[0]._sockets.DropNetlink();
            foreach (int i in fast.Where(i => outcomes[i] is null))
            {
                run[i]._announcing?.Cancel();
                outcomes[i] = ResourceOutcome.Failed(ex.Message);
            }
        }
    }

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

    /// <summary>The VIPs' locks (one, when they share the executor's sockets), always taken in the run's order.</summary>
    private static void EnterAll(IReadOnlyList<IpAddressResource> run)
    {
        foreach (var sockets in run.Select(v => v._sockets).Distinct())
        {
            sockets.Lock.Enter();
        }
    }

    private static void ExitAll(IReadOnlyList<IpAddressResource> run)
    {
        foreach (var sockets in run.Select(v => v._sockets).Distinct().Reverse())
        {
            sockets.Lock.Exit();
        }
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
    /// Which of the VIPs are configured now, on any interface, from one address dump for all (a check of 256 VIPs is
    /// one dump, not 512); throws when the kernel cannot be asked.
    /// </summary>
    public static bool[] PresentAll(IReadOnlyList<IpAddressResource> vips)
    {
        if (vips.Count == 0)
        {
            return [];
        }

        EnterAll(vips);
        try
        {
            var sockets = vips[0]._sockets;
            try
            {
                var present = KernelView.ByAddress(sockets.Netlink().GetAddresses());
                return [.. vips.Select(v => present.ContainsKey(v.Spec.Ip!.Address))];
            }
            catch (Exception ex) when (ex is Interop.NativeCallException or TimeoutException or InvalidDataException)
            {
                sockets.DropNetlink();
                throw;
            }
        }
        finally
        {
            ExitAll(vips);
        }
    }

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
        catch (Interop.NativeCallException ex) when (ex.Errno == 19)
        {
            // ENODEV: the interface went away since it was prepared.
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

    /// <summary>
    /// The first round of every VIP now, the later ones in one train (<see cref="AnnouncementTrain"/>); each VIP's
    /// earlier announcements end first. Per VIP, what failed its first round (null: sent).
    /// </summary>
    private static Exception?[] Announce(Interop.FileDescriptorHandle arp, IReadOnlyList<(IpAddressResource Vip, Prepared Prepared)> members)
    {
        var train = new AnnouncementTrain.Member[members.Count];
        // Stamped as the frames are handed to the kernel: the send itself can take milliseconds, because on a veth or a
        // bridge the receivers' processing (a client flushing its queued SYNs to us) runs inside it.
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; i < members.Count; i++)
        {
            var (vip, prepared) = members[i];
            vip._announcing?.Cancel();
            vip._announcing = new CancellationTokenSource();
            vip.FirstAnnouncementAt = now;
            vip.FirstAnnouncementKind = prepared.Frames.FirstFrame;
            train[i] = new AnnouncementTrain.Member(prepared.Frames, vip._announcing.Token);
        }

        var rounds = GratuitousArp.Announce(arp, train, members[0].Vip.Announcement, out var failures);
        foreach (var (vip, _) in members)
        {
            vip.Announcing = rounds;
        }

        return failures;
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

/// <summary>
/// The netlink and packet sockets the VIPs of one executor share (one of each: not two per VIP, which for 256 VIPs
/// would be 512 sockets and 16 MB of receive buffers), opened on first use, and the lock that serializes their use and
/// every start, stop and status of those VIPs.
/// </summary>
public sealed class AddressSockets : IDisposable
{
    private Rtnetlink? _netlink;
    private Interop.FileDescriptorHandle? _arp;

    public Lock Lock { get; } = new();

    internal Rtnetlink Netlink() => _netlink ??= Rtnetlink.Open();

    internal Interop.FileDescriptorHandle Arp() => _arp ??= GratuitousArp.OpenSocket();

    /// <summary>A socket that failed once is not trusted again: the next action opens a fresh one.</summary>
    internal void DropNetlink()
    {
        _netlink?.Dispose();
        _netlink = null;
    }

    public void Dispose()
    {
        lock (Lock)
        {
            DropNetlink();
            _arp?.Dispose();
            _arp = null;
        }
    }
}

/// <summary>
/// One dump each of links, routes and addresses, read once for the checks of many VIPs (a group started together),
/// with what the placement needs computed once: the connected routes by interface name and the labels in use.
/// </summary>
internal sealed class KernelView
{
    private readonly ILookup<System.Net.IPAddress, InterfaceAddress> _byAddress;

    private KernelView(IReadOnlyList<LinkInfo> links, IReadOnlyList<RouteInfo> routes, IReadOnlyList<InterfaceAddress> addresses)
    {
        Links = links.ToDictionary(l => l.Index);
        ConnectedRoutes = [.. routes
            .Where(r => r.IsConnected && Links.ContainsKey(r.OutputIndex))
            .Select(r => new ConnectedRoute(Links[r.OutputIndex].Name, r.Destination, r.PrefixLength))];
        Labels = addresses.Where(a => a.Label is not null).Select(a => a.Label!).ToHashSet(StringComparer.Ordinal);
        _byAddress = addresses.ToLookup(a => a.Address);
    }

    public IReadOnlyDictionary<int, LinkInfo> Links { get; }

    public IReadOnlyList<ConnectedRoute> ConnectedRoutes { get; }

    public IReadOnlySet<string> Labels { get; }

    public static KernelView Read(Rtnetlink netlink) => new(netlink.GetLinks(), netlink.GetRoutes(), netlink.GetAddresses());

    /// <summary>Every copy of the address (on any interface, with any prefix).</summary>
    public List<InterfaceAddress> CopiesOf(System.Net.IPAddress address) => [.. _byAddress[address]];

    /// <summary>The first copy of each address configured (what a stop deletes).</summary>
    public static Dictionary<System.Net.IPAddress, InterfaceAddress> ByAddress(IEnumerable<InterfaceAddress> addresses)
    {
        var first = new Dictionary<System.Net.IPAddress, InterfaceAddress>();
        foreach (var a in addresses)
        {
            first.TryAdd(a.Address, a);
        }

        return first;
    }
}

/// <summary>A resource action that cannot be done; the message says why.</summary>
public sealed class ResourceException(string message) : Exception(message);
