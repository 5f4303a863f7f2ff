using Heartbeat.Daemon.Logging;
using Heartbeat.Daemon.Net;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Resources;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Resources;

/// <summary>
/// The batch operations on a group's contiguous native VIPs: placed ahead, started, stopped and checked together, with
/// one netlink batch, one dump of each kind and one ARP round for all (see <see cref="IpAddressResource"/>).
/// </summary>
public sealed partial class IpAddressResource
{
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
                    case Interop.Errno.Enodev:
                        // The interface went away since it was prepared; the careful start places it afresh.
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
}
