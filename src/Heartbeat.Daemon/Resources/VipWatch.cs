using System.Collections.Concurrent;
using System.Net;
using Heartbeat.Daemon.Logging;
using Heartbeat.Daemon.Net;
using Heartbeat.Protocol.Resources;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Resources;

/// <summary>
/// Watches the VIPs of held groups for the node loop. Subscribes to the kernel's address notifications: when a
/// configured VIP is deleted (an <c>ifdown</c>, an admin's <c>ip addr del</c>, our own release) or notifications were
/// lost, the loop checks the held groups' VIPs. Why not a check every keepalive: at rest that woke the daemon every
/// second to learn nothing; now a removed VIP is noticed at once. The socket sits in the loop's poll set
/// (<see cref="Descriptor"/>), not on a thread of its own: a thread blocked on it would still have to wake now and
/// then to see whether the daemon is stopping. If the subscription cannot be opened, the loop checks every keepalive
/// instead. Threads: the loop thread calls everything; the check tasks (thread pool) read <see cref="_releasing"/> and
/// the leave flag, and hand back <see cref="_addressesChanged"/> and <see cref="_monitorRunning"/>.
/// </summary>
internal sealed class VipWatch(Func<bool> leaving, Action wakeLoop, ILogger logger) : IDisposable
{
    /// <summary>
    /// The longest a read of the address notifications may block: the loop reads only after poll(2) reported them, so
    /// this bounds a spurious report only.
    /// </summary>
    private static readonly TimeSpan AddressReadWait = TimeSpan.FromMilliseconds(1);

    /// <summary>Set when a configured VIP was deleted (or notifications were lost, or a check was deferred); the loop checks.</summary>
    private int _addressesChanged;

    /// <summary>1 while a check task runs (the loop sets it, the task clears it).</summary>
    private int _monitorRunning;

    /// <summary>The kernel's address notifications, in the loop's poll set (null: none configured, or the subscription failed).</summary>
    private AddressEvents? _addressEvents;
    private HashSet<IPAddress> _configuredAddresses = [];
    private readonly List<IPAddress> _deletedAddresses = [];

    /// <summary>Poll reported the notifications readable (loop thread only).</summary>
    private bool _eventsReady;

    /// <summary>Without a subscription, the held VIPs are checked every keepalive instead (MaxValue: not needed).</summary>
    private TimeSpan _nextAddressPoll = TimeSpan.MaxValue;
    private TimeSpan _addressPollInterval;

    /// <summary>Groups with a release issued and no acquisition since: the monitor must not bring their VIPs back.</summary>
    private readonly ConcurrentDictionary<string, bool> _releasing = new(StringComparer.Ordinal);

    /// <summary>The notifications' descriptor for the loop's poll set (negative: none, poll skips it).</summary>
    public int Descriptor => _addressEvents?.Descriptor ?? -1;

    /// <summary>When the loop must wake to check without a subscription (MaxValue: not needed).</summary>
    public TimeSpan NextPoll => _nextAddressPoll;

    /// <summary>Poll reported the notifications readable and they were not read since.</summary>
    public bool EventsReady => _eventsReady;

    /// <summary>Notes that poll reported the notifications readable (loop thread).</summary>
    public void NoteReadable(bool readable) => _eventsReady |= readable;

    /// <summary>Subscribes for the VIPs the executor knows (see the class summary).</summary>
    public void Watch(ResourceExecutor executor, TimeSpan keepalive, TimeSpan now)
    {
        _configuredAddresses = executor.AllAddresses.Select(v => v.Spec.Ip!.Address).ToHashSet();
        if (_configuredAddresses.Count == 0)
        {
            return;
        }

        _addressPollInterval = keepalive;
        try
        {
            _addressEvents = AddressEvents.Open(AddressReadWait, ipv6: _configuredAddresses.Any(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6));
        }
        catch (Interop.NativeCallException ex)
        {
            ResourceLog.MonitorError(logger, "address notifications", ex.Message);
            _nextAddressPoll = now + keepalive;
        }
    }

    /// <summary>A release was issued for the group: the monitor must not bring its VIPs back.</summary>
    public void Releasing(string key) => _releasing[key] = true;

    /// <summary>An acquisition was issued for the group: its VIPs are watched again.</summary>
    public void Acquiring(string key) => _releasing.TryRemove(key, out _);

    /// <summary>
    /// A group was just acquired: a deletion the kernel reported between the address going up and this turn found the
    /// group not yet held, and that check did nothing: look once more now that it is held.
    /// </summary>
    public void GroupAcquired()
    {
        if (_configuredAddresses.Count > 0)
        {
            Volatile.Write(ref _addressesChanged, 1);
        }
    }

    /// <summary>
    /// Reads the address notifications poll reported (or, without a subscription, checks every keepalive). False when
    /// the subscription broke just now: the loop takes its descriptor out of the poll set.
    /// </summary>
    public bool NoteAddressChanges(TimeSpan now)
    {
        if (now >= _nextAddressPoll)
        {
            _nextAddressPoll = now + _addressPollInterval;
            Volatile.Write(ref _addressesChanged, 1);
        }

        if (!_eventsReady || _addressEvents is null)
        {
            _eventsReady = false;
            return true;
        }

        _eventsReady = false;
        _deletedAddresses.Clear();
        bool check;
        bool subscribed = true;
        try
        {
            check = _addressEvents.Wait(_deletedAddresses) switch
            {
                AddressEventKind.Overflow => true,
                AddressEventKind.Changes => _deletedAddresses.Exists(_configuredAddresses.Contains),
                _ => false,
            };
        }
        catch (Interop.NativeCallException ex)
        {
            // The subscription broke: never let it take the daemon down; check every keepalive from now on.
            ResourceLog.MonitorError(logger, "address notifications", ex.Message);
            _addressEvents.Dispose();
            _addressEvents = null;
            subscribed = false;
            _nextAddressPoll = now + _addressPollInterval;
            check = true;
        }

        if (check && !leaving())
        {
            Volatile.Write(ref _addressesChanged, 1);
        }

        return subscribed;
    }

    /// <summary>Whether a check was asked for since the last call (clears the request).</summary>
    public bool TakeCheckRequest() => Interlocked.Exchange(ref _addressesChanged, 0) != 0;

    /// <summary>
    /// The VIPs of held groups are checked (and restored) off the loop thread, each inside its group's queue and only
    /// while the group is still meant to be held: a release issued earlier always wins. A check asked for while one
    /// runs is kept for the next loop turn.
    /// </summary>
    public void CheckHeldAddresses(IReadOnlyCollection<string> held, ResourceExecutor? executor)
    {
        if (executor is null || leaving() || held.Count == 0)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _monitorRunning, 1, 0) != 0)
        {
            Volatile.Write(ref _addressesChanged, 1);
            return;
        }

        var keys = held.Where(executor.HasGroup).ToArray();
        _ = Task.Run(async () =>
        {
            try
            {
                // One dump for the VIPs of every held group first: only a group with a VIP missing is checked again
                // (and restored) inside its queue, so a check costs one dump however many groups and VIPs are held.
                var suspects = keys;
                try
                {
                    var vips = keys.Select(k => (Key: k, Vips: executor.AddressesOf(k))).ToList();
                    var present = IpAddressResource.PresentAll([.. vips.SelectMany(g => g.Vips)]);
                    int at = 0;
                    var missing = new List<string>();
                    foreach (var (key, groupVips) in vips)
                    {
                        if (present.AsSpan(at, groupVips.Count).Contains(false))
                        {
                            missing.Add(key);
                        }

                        at += groupVips.Count;
                    }

                    suspects = [.. missing];
                }
                catch (Exception ex) when (ex is Interop.NativeCallException or TimeoutException or InvalidDataException)
                {
                    // The kernel could not be asked now: each group's check asks again and logs what fails.
                }

                foreach (string key in suspects)
                {
                    await executor.RunExclusiveAsync(key, async () =>
                    {
                        if (!leaving() && !_releasing.ContainsKey(key))
                        {
                            var monitor = new VipMonitor(executor.AddressesOf(key), logger);
                            await monitor.CheckOnceAsync(CancellationToken.None).ConfigureAwait(false);
                            executor.Counters.VipsRestored(monitor.Restored);
                        }
                    }, CancellationToken.None).ConfigureAwait(false);
                }
            }
            finally
            {
                Interlocked.Exchange(ref _monitorRunning, 0);

                // A change reported while this check ran was kept for the loop's next turn: make that turn now.
                if (Volatile.Read(ref _addressesChanged) != 0)
                {
                    wakeLoop();
                }
            }
        });
    }

    /// <summary>Closes the subscription (the loop, when it ends).</summary>
    public void Dispose() => _addressEvents?.Dispose();
}
