using Heartbeat.Daemon.Logging;
using Heartbeat.Daemon.Net;
using Heartbeat.Protocol.Config;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Resources;

/// <summary>The result of taking or giving up one group.</summary>
public sealed record GroupOutcome(string Group, bool Success, string Reason);

/// <summary>
/// Runs haresources groups: one ordered queue per group (never two actions on a group at once, never reordered),
/// start left to right with a status check first (what already runs is left alone), stop right to left. A start that
/// fails stops what it started (and the failed resource) in reverse order and reports the group failed with the reason.
/// </summary>
public sealed class ResourceExecutor : IDisposable
{
    /// <summary>3.0.6 retries a failing stop every second, 10 more times (HA_STOPRETRYMAX).</summary>
    public const int StopRetries = 10;

    private readonly Dictionary<string, (ResourceGroupSpec Spec, IManagedResource[] Resources, SemaphoreSlim Queue)> _groups = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private readonly TimeSpan _stopRetryDelay;

    /// <summary>One netlink and one packet socket for every VIP of every group.</summary>
    private readonly AddressSockets _sockets = new();

    public ResourceExecutor(HaResources resources, ScriptSettings scripts, ArpAnnouncement announcement, ILogger logger, TimeSpan? stopRetryDelay = null)
        : this(resources, logger, stopRetryDelay, (r, sockets) => r.IsIpAddress ? new IpAddressResource(r, announcement, logger, sockets) : new ScriptResource(r, scripts, logger))
    {
    }

    /// <summary>
    /// With the resources <paramref name="create"/> makes (given the executor's shared VIP sockets): the tests' way to
    /// put in a resource that throws, which no script can be made to do reliably.
    /// </summary>
    internal ResourceExecutor(HaResources resources, ILogger logger, TimeSpan? stopRetryDelay, Func<ResourceSpec, AddressSockets, IManagedResource> create)
    {
        _logger = logger;
        _stopRetryDelay = stopRetryDelay ?? TimeSpan.FromSeconds(1);
        foreach (var group in resources.Groups)
        {
            var members = group.Resources.Select(r => create(r, _sockets)).ToArray();
            _groups[group.Key] = (group, members, new SemaphoreSlim(1, 1));
        }
    }

    /// <summary>Script runs and durations, takeover durations, VIP restores (for the metrics).</summary>
    public ResourceMetrics Counters { get; } = new();

    public IEnumerable<ResourceGroupSpec> Groups => _groups.Values.Select(g => g.Spec);

    /// <summary>
    /// Readies every VIP for a fast start (sockets open, placement resolved; see <see cref="IpAddressResource.Prepare"/>)
    /// and logs the ones that cannot be placed on this host now: better said at start-up than at the takeover.
    /// </summary>
    public void Prepare()
    {
        var vips = AllAddresses;
        if (vips.Count == 0)
        {
            return;
        }

        var problems = IpAddressResource.PrepareAll(vips);
        for (int i = 0; i < vips.Count; i++)
        {
            if (problems[i] is { } problem)
            {
                ResourceLog.CannotPrepare(_logger, vips[i].Name, problem);
            }
        }
    }

    public void Dispose()
    {
        foreach (var (_, resources, _) in _groups.Values)
        {
            foreach (var disposable in resources.OfType<IDisposable>())
            {
                disposable.Dispose();
            }
        }

        _sockets.Dispose();
    }

    public IReadOnlyList<IManagedResource> ResourcesOf(string key) => _groups[key].Resources;

    public bool HasGroup(string key) => _groups.ContainsKey(key);

    public async Task<GroupOutcome> TakeGroupAsync(string key, CancellationToken cancellation) =>
        (await TakeGroupsAsync([key], cancellation).ConfigureAwait(false))[0];

    /// <summary>
    /// Takes groups together (the acquisitions the group worker finds queued back to back: one planner turn's, or those
    /// of several turns queued while it was busy): the leading native VIPs of every one of them start in one batch
    /// (<see cref="IpAddressResource.StartAll"/>: one netlink batch, every first ARP in one call, one dump of each kind
    /// for the checks), then each group goes on with the rest of its resources in haresources order, one group after
    /// another, as <see cref="TakeGroupAsync"/> would. A group's own order holds: its leading VIPs come before its first
    /// script either way, and nothing of another group depends on them. Each group has its own outcome, in the order
    /// given: a failed VIP or script, or an exception out of one group's start or undo, fails that group only (the
    /// groups before it are up). A cancellation ends the whole batch with <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <remarks>
    /// Before, 32 groups of one VIP started one after another, each with its own netlink request, dumps, ARP send and
    /// log lines: about 1 ms a group between the first group's gratuitous ARP and the last's.
    /// </remarks>
    public async Task<IReadOnlyList<GroupOutcome>> TakeGroupsAsync(IReadOnlyList<string> keys, CancellationToken cancellation)
    {
        // A key given twice would wait on its own queue forever. The planner never has an acquisition of a group pending
        // twice, so this is a caller's bug: said at once rather than a group worker hung.
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        foreach (string key in keys)
        {
            if (!distinct.Add(key))
            {
                throw new ArgumentException($"group {key} is given twice", nameof(keys));
            }
        }

        var groups = keys.Select(key => (Key: key, _groups[key].Resources, _groups[key].Queue)).ToArray();
        int entered = 0;
        try
        {
            // Always in the order given; nothing else takes more than one group's queue, so no two takers wait on each other.
            for (; entered < groups.Length; entered++)
            {
                await groups[entered].Queue.WaitAsync(cancellation).ConfigureAwait(false);
            }

            var leadEnd = new int[groups.Length];
            var lead = new List<IpAddressResource>();
            for (int g = 0; g < groups.Length; g++)
            {
                ResourceLog.GroupAction(_logger, groups[g].Key, "acquiring");
                leadEnd[g] = groups[g].Resources.Length > 0 && groups[g].Resources[0] is IpAddressResource ? RunEnd(groups[g].Resources, 0, +1) : -1;
                lead.AddRange(Addresses(groups[g].Resources, 0, leadEnd[g]));
            }

            var leadOutcomes = lead.Count > 0 ? IpAddressResource.StartAll(lead) : [];
            var outcomes = new GroupOutcome[groups.Length];
            int at = 0;
            for (int g = 0; g < groups.Length; g++)
            {
                var (key, resources, _) = groups[g];
                string? failure = null;
                for (int k = 0; k <= leadEnd[g]; k++, at++)
                {
                    ResourceLog.ResourceResult(_logger, lead[at].Name, "start", leadOutcomes[at].Success, leadOutcomes[at].Detail);
                    failure ??= leadOutcomes[at].Success ? null : $"{lead[at].Name}: {leadOutcomes[at].Detail}";
                }

                outcomes[g] = await FinishStartAsync(key, resources, leadEnd[g], failure, cancellation).ConfigureAwait(false);
            }

            return outcomes;
        }
        finally
        {
            for (int g = entered - 1; g >= 0; g--)
            {
                groups[g].Queue.Release();
            }
        }
    }

    /// <summary>
    /// One group of a batch after its leading VIPs (<paramref name="leadEnd"/>: the last of them, −1 for none): the undo
    /// of all of them when one failed (they were started together), else the rest of its start. An exception here is
    /// this group's failure only: the groups before it are up and the ones after it still start.
    /// </summary>
    private async Task<GroupOutcome> FinishStartAsync(string key, IManagedResource[] resources, int leadEnd, string? failure, CancellationToken cancellation)
    {
        try
        {
            return failure is not null
                ? await UndoStartAsync(key, resources, leadEnd, failure, cancellation).ConfigureAwait(false)
                : await StartFromAsync(key, resources, leadEnd + 1, cancellation).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsActionFailure(ex))
        {
            // Typically a stop of an undo that threw (a start that throws is a failed start, undone in StartFromAsync):
            // what is still up stays, as after a stop that fails its retries, and the group is reported failed.
            ResourceLog.GroupFailed(_logger, key, ex.Message);
            return new GroupOutcome(key, false, ex.Message);
        }
    }

    /// <summary>
    /// What a resource action throws when it fails (an I/O error, a kernel call refused, a timeout, bad data from the
    /// kernel) as opposed to a bug or a cancellation: a failure of that group, never of the daemon.
    /// </summary>
    internal static bool IsActionFailure(Exception ex) => ex is Interop.NativeCallException or TimeoutException or InvalidDataException or IOException;

    /// <summary>The rest of a group's start, from <paramref name="from"/> on, left to right (the group's queue is held).</summary>
    private async Task<GroupOutcome> StartFromAsync(string key, IManagedResource[] resources, int from, CancellationToken cancellation)
    {
        for (int i = from; i < resources.Length; i++)
        {
            // Contiguous native VIPs start together (one netlink batch, every first ARP at once; see
            // IpAddressResource.StartAll): they are independent of one another, and the haresources order still
            // holds around them, since a script before them has started and one after them waits for all of them.
            if (resources[i] is IpAddressResource)
            {
                int end = RunEnd(resources, i, +1);
                var run = Addresses(resources, i, end);
                var outcomes = IpAddressResource.StartAll(run);
                int failed = -1;
                for (int k = 0; k < run.Length; k++)
                {
                    ResourceLog.ResourceResult(_logger, run[k].Name, "start", outcomes[k].Success, outcomes[k].Detail);
                    failed = failed < 0 && !outcomes[k].Success ? k : failed;
                }

                if (failed >= 0)
                {
                    // All of the run was started together: undo all of it and everything before it.
                    return await UndoStartAsync(key, resources, end, $"{run[failed].Name}: {outcomes[failed].Detail}", cancellation).ConfigureAwait(false);
                }

                i = end;
                continue;
            }

            var resource = resources[i];
            ResourceOutcome outcome;
            try
            {
                // An address that is up already is still "started": that re-announces it (clients may point elsewhere).
                if (await resource.IsRunningAsync(cancellation).ConfigureAwait(false))
                {
                    ResourceLog.ResourceResult(_logger, resource.Name, "start", true, "already running");
                    continue;
                }

                outcome = await CountedAsync(resource, 0, resource.StartAsync, cancellation).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsActionFailure(ex))
            {
                // A status or start that could not even run (an I/O error reading the script's output, …) is a failed
                // start like any other: it may have done part of its work, so it is undone the same way.
                outcome = ResourceOutcome.Failed(ex.Message);
            }

            ResourceLog.ResourceResult(_logger, resource.Name, "start", outcome.Success, outcome.Detail);
            if (!outcome.Success)
            {
                // Undo in reverse order: the failed resource (it may be half up) and everything before it.
                return await UndoStartAsync(key, resources, i, $"{resource.Name}: {outcome.Detail}", cancellation).ConfigureAwait(false);
            }
        }

        ResourceLog.GroupAction(_logger, key, "acquired");
        return new GroupOutcome(key, true, "started");
    }

    public async Task<GroupOutcome> GiveGroupAsync(string key, CancellationToken cancellation)
    {
        var (_, resources, queue) = _groups[key];
        await queue.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            ResourceLog.GroupAction(_logger, key, "releasing");
            string? failure = null;
            for (int i = resources.Length - 1; i >= 0; i--)
            {
                // Contiguous native VIPs stop together, right to left (IpAddressResource.StopAll); one that fails is
                // retried alone as any resource is.
                if (resources[i] is IpAddressResource)
                {
                    int start = RunEnd(resources, i, -1);
                    var run = Addresses(resources, start, i);
                    Array.Reverse(run);
                    var outcomes = IpAddressResource.StopAll(run);
                    for (int k = 0; k < run.Length; k++)
                    {
                        var outcome = outcomes[k].Success ? outcomes[k] : await StopWithRetriesAsync(run[k], cancellation).ConfigureAwait(false);
                        ResourceLog.ResourceResult(_logger, run[k].Name, "stop", outcome.Success, outcome.Detail);
                        failure ??= outcome.Success ? null : $"{run[k].Name}: {outcome.Detail}";
                    }

                    i = start;
                    continue;
                }

                var single = await StopWithRetriesAsync(resources[i], cancellation).ConfigureAwait(false);
                ResourceLog.ResourceResult(_logger, resources[i].Name, "stop", single.Success, single.Detail);
                if (!single.Success)
                {
                    failure ??= $"{resources[i].Name}: {single.Detail}";
                }
            }

            if (failure is not null)
            {
                ResourceLog.GroupFailed(_logger, key, failure);
                return new GroupOutcome(key, false, failure);
            }

            ResourceLog.GroupAction(_logger, key, "released");
            return new GroupOutcome(key, true, "stopped");
        }
        finally
        {
            queue.Release();
        }
    }

    /// <summary>
    /// Announces a held group again: each VIP is (re-)added if missing and a new round of gratuitous ARP goes out, so
    /// clients and switches point at this node. Script resources are left alone (they run already).
    /// </summary>
    public async Task<GroupOutcome> AnnounceGroupAsync(string key, CancellationToken cancellation)
    {
        var (_, resources, queue) = _groups[key];
        await queue.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            string? failure = null;
            IpAddressResource[] addresses = [.. resources.OfType<IpAddressResource>()];
            var outcomes = addresses.Length > 0 ? IpAddressResource.StartAll(addresses) : [];
            for (int k = 0; k < addresses.Length; k++)
            {
                ResourceLog.ResourceResult(_logger, addresses[k].Name, "announce", outcomes[k].Success, outcomes[k].Detail);
                failure ??= outcomes[k].Success ? null : $"{addresses[k].Name}: {outcomes[k].Detail}";
            }

            return failure is null ? new GroupOutcome(key, true, "announced") : new GroupOutcome(key, false, failure);
        }
        finally
        {
            queue.Release();
        }
    }

    /// <summary>Whether every resource of the group runs (ResourceManager status: 0 running, 3 not).</summary>
    public async Task<bool> IsGroupRunningAsync(string key, CancellationToken cancellation)
    {
        foreach (var resource in _groups[key].Resources)
        {
            if (!await resource.IsRunningAsync(cancellation).ConfigureAwait(false))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Runs <paramref name="action"/> in the group's queue, so it can never interleave with a start or stop of the group
    /// (the VIP monitor uses this: a VIP being released is never "restored").
    /// </summary>
    public async Task RunExclusiveAsync(string key, Func<Task> action, CancellationToken cancellation)
    {
        var queue = _groups[key].Queue;
        await queue.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            await action().ConfigureAwait(false);
        }
        finally
        {
            queue.Release();
        }
    }

    /// <summary>Every native VIP of every group.</summary>
    public IReadOnlyList<IpAddressResource> AllAddresses => [.. _groups.Values.SelectMany(g => g.Resources.OfType<IpAddressResource>())];

    /// <summary>The native VIPs of a group.</summary>
    public IReadOnlyList<IpAddressResource> AddressesOf(string key) => [.. _groups[key].Resources.OfType<IpAddressResource>()];

    /// <summary>
    /// Start-up reconciliation: every configured VIP found on an interface of this host while this node does not hold
    /// its group (a crash or kill -9 left it) is removed, so two nodes never answer for one address.
    /// </summary>
    public async Task<int> ReleaseLeftoversAsync(IReadOnlySet<string> heldGroups, CancellationToken cancellation)
    {
        int released = 0;
        foreach (var (key, (_, resources, _)) in _groups)
        {
            if (heldGroups.Contains(key))
            {
                continue;
            }

            foreach (var vip in resources.OfType<IpAddressResource>())
            {
                if (vip.Locate() is not { } present)
                {
                    continue;
                }

                ResourceLog.LeftoverReleased(_logger, vip.Name, present.Address, present.Interface);
                var outcome = await vip.StopAsync(cancellation).ConfigureAwait(false);
                ResourceLog.ResourceResult(_logger, vip.Name, "stop", outcome.Success, outcome.Detail);
                released += outcome.Success ? 1 : 0;
            }
        }

        return released;
    }

    /// <summary>
    /// The native VIP at <paramref name="from"/> and the ones next to it going in <paramref name="direction"/> (+1
    /// right, −1 left): the index of the last of them (<paramref name="from"/> for a VIP alone).
    /// </summary>
    internal static int RunEnd(IReadOnlyList<IManagedResource> resources, int from, int direction)
    {
        int end = from;
        while (end + direction >= 0 && end + direction < resources.Count && resources[end + direction] is IpAddressResource)
        {
            end += direction;
        }

        return end;
    }

    private static IpAddressResource[] Addresses(IManagedResource[] resources, int from, int to) =>
        [.. resources[from..(to + 1)].Cast<IpAddressResource>()];

    /// <summary>A start failed at or before <paramref name="last"/>: stops everything up to it in reverse order, reports the group failed.</summary>
    private async Task<GroupOutcome> UndoStartAsync(string key, IManagedResource[] resources, int last, string reason, CancellationToken cancellation)
    {
        // The failed resource may be half up: it is stopped too.
        for (int j = last; j >= 0; j--)
        {
            var undo = await StopWithRetriesAsync(resources[j], cancellation).ConfigureAwait(false);
            ResourceLog.ResourceResult(_logger, resources[j].Name, "stop", undo.Success, undo.Detail);
        }

        ResourceLog.GroupFailed(_logger, key, reason);
        return new GroupOutcome(key, false, reason);
    }

    private async Task<ResourceOutcome> StopWithRetriesAsync(IManagedResource resource, CancellationToken cancellation)
    {
        var outcome = await CountedAsync(resource, 1, resource.StopAsync, cancellation).ConfigureAwait(false);
        for (int retry = 1; !outcome.Success && retry <= StopRetries; retry++)
        {
            await Task.Delay(_stopRetryDelay, cancellation).ConfigureAwait(false);
            outcome = await CountedAsync(resource, 1, resource.StopAsync, cancellation).ConfigureAwait(false);
        }

        if (!outcome.Success && !await resource.IsRunningAsync(cancellation).ConfigureAwait(false))
        {
            // 3.0.6: "probably not LSB-compliant ... MUST succeed on a stop when already stopped" and carries on.
            return ResourceOutcome.Ok($"stop failed ({outcome.Detail}) but status says it is not running: not LSB-compliant, carrying on");
        }

        return outcome;
    }

    /// <summary>A start or stop, counted and timed for the metrics when the resource is a script (addresses are netlink calls).</summary>
    private async Task<ResourceOutcome> CountedAsync(IManagedResource resource, int action, Func<CancellationToken, Task<ResourceOutcome>> run, CancellationToken cancellation)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var outcome = await run(cancellation).ConfigureAwait(false);
        if (resource is ScriptResource)
        {
            Counters.ScriptRan(action, outcome.Success, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }

        return outcome;
    }
}
