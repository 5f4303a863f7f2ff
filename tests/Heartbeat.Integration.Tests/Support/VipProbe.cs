using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Heartbeat.Integration.Tests.Support;

/// <summary>
/// What a client and an operator see while a test moves a VIP: a TCP client in the lab's outsider namespace connects to
/// the VIP every 20 ms or as given (each node answers with its name), and both nodes' addresses are polled every 50 ms. Gives the
/// longest client outage and the longest time both nodes held the VIP at once, within any window of the run.
/// </summary>
public sealed class VipProbe : IAsyncDisposable
{
    public const int Port = 7694;
    private readonly TimeSpan _connectInterval;
    private readonly bool _overlapping;
    private readonly NetnsSocketFactory _clientSockets;
    private readonly IPAddress _vipAddress;
    private readonly Dictionary<string, AddressWatch> _addressWatches = new(StringComparer.Ordinal);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan HolderInterval = TimeSpan.FromMilliseconds(50);

    private readonly Lab _lab;
    private readonly LabNode[] _nodes;
    private readonly string _vip;
    private readonly string _clientNetns;
    private readonly List<Socket> _listeners = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private readonly List<(TimeSpan At, string? AnsweredBy)> _attempts = [];
    private readonly List<(TimeSpan At, string[] Holders)> _holders = [];
    private readonly List<Task> _tasks = [];

    /// <param name="connectInterval">How often the client connects (20 ms unless given; the benchmark uses 10 ms).</param>
    /// <param name="overlapping">
    /// Start an attempt every interval even while earlier ones wait (the benchmark): a SYN sent to the old holder's MAC
    /// just before the takeover then does not hide the new holder for the rest of its timeout.
    /// </param>
    public VipProbe(Lab lab, LabNode[] nodes, string vip, string clientNetns, TimeSpan? connectInterval = null, bool overlapping = false)
    {
        _overlapping = overlapping;
        _clientSockets = new NetnsSocketFactory(clientNetns);
        _vipAddress = IPAddress.Parse(vip);
        foreach (var node in nodes)
        {
            using var factory = new NetnsSocketFactory(lab.Netns(node));
            _addressWatches[node.Name] = factory.CreateAddressWatch();
        }

        (_lab, _nodes, _vip, _clientNetns) = (lab, nodes, vip, clientNetns);
        _connectInterval = connectInterval ?? TimeSpan.FromMilliseconds(20);
        foreach (var node in nodes)
        {
            var listener = NetnsSocket.CreateTcp(lab.Netns(node), _vipAddress.AddressFamily);
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(new IPEndPoint(_vipAddress.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, Port));
            listener.Listen(64);
            _listeners.Add(listener);
            string name = node.Name;
            _tasks.Add(Task.Run(() => AnswerAsync(listener, name)));
        }

        _tasks.Add(Task.Run(ConnectLoopAsync));
        _tasks.Add(Task.Run(HolderLoopAsync));
    }

    /// <summary>Time since the probe started (a mark to pass to the queries below).</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>The longest run without a successful connection after <paramref name="from"/> (from the last success before it to the first after).</summary>
    public TimeSpan LongestOutage(TimeSpan from, TimeSpan? to = null) => Outages(from, to).DefaultIfEmpty(TimeSpan.Zero).Max();

    /// <summary>Every run without a successful connection after <paramref name="from"/>, added up (a rolling migration's whole cost to clients).</summary>
    public TimeSpan TotalOutage(TimeSpan from, TimeSpan? to = null) => Outages(from, to).Aggregate(TimeSpan.Zero, (sum, gap) => sum + gap);

    /// <summary>The runs without a successful connection, each from the last success before it to the first after.</summary>
    private List<TimeSpan> Outages(TimeSpan from, TimeSpan? to)
    {
        var attempts = Snapshot(_attempts).Where(a => a.At >= from && a.At <= (to ?? TimeSpan.MaxValue)).OrderBy(a => a.At).ToList();
        var gaps = new List<TimeSpan>();
        TimeSpan? lastSuccess = null;
        TimeSpan? failingSince = null;
        foreach (var (at, by) in attempts)
        {
            if (by is null)
            {
                failingSince ??= lastSuccess ?? at;
            }
            else
            {
                if (failingSince is { } since)
                {
                    gaps.Add(at - since);
                }

                failingSince = null;
                lastSuccess = at;
            }
        }

        if (failingSince is { } open && attempts.Count > 0)
        {
            gaps.Add(attempts[^1].At - open);
        }

        return gaps;
    }

    /// <summary>The wall-clock time of a probe time (to line it up with packet captures and logs).</summary>
    public DateTimeOffset WallClock(TimeSpan at) => _startedAt + at;

    /// <summary>When the first connection after <paramref name="from"/> that <paramref name="node"/> answered was made.</summary>
    public TimeSpan? FirstAnswerBy(string node, TimeSpan from) =>
        Snapshot(_attempts).Where(a => a.At >= from && a.AnsweredBy == node).Select(a => (TimeSpan?)a.At).Min();

    /// <summary>Who answered the client last (null: nobody yet or the last attempt failed).</summary>
    public string? LastAnswer() =>
        // Before the first attempt has finished there is none (MaxBy throws on an empty sequence of structs).
        Snapshot(_attempts).OrderByDescending(a => a.At).Select(a => a.AnsweredBy).FirstOrDefault();

    public int Successes(TimeSpan from) => Snapshot(_attempts).Count(a => a.At >= from && a.AnsweredBy is not null);

    /// <summary>The longest stretch after <paramref name="from"/> during which more than one node held the VIP (poll-accurate).</summary>
    public TimeSpan LongestDoubleHold(TimeSpan from)
    {
        TimeSpan worst = TimeSpan.Zero;
        TimeSpan? since = null;
        foreach (var (at, holders) in Snapshot(_holders).Where(h => h.At >= from))
        {
            if (holders.Length > 1)
            {
                since ??= at;
                worst = Max(worst, at - since.Value);
            }
            else
            {
                since = null;
            }
        }

        return worst;
    }

    /// <summary>
    /// The start of the last run of polls after <paramref name="from"/> in which exactly one node held the VIP (null
    /// while the last poll saw none or several).
    /// </summary>
    public TimeSpan? SingleHolderSince(TimeSpan from)
    {
        TimeSpan? since = null;
        foreach (var (at, holders) in Snapshot(_holders).Where(h => h.At >= from))
        {
            since = holders.Length == 1 ? since ?? at : null;
        }

        return since;
    }

    /// <summary>The most nodes that held the VIP at one poll after <paramref name="from"/> (2: a double hold, however short).</summary>
    public int MostHolders(TimeSpan from) => MostHolders(from, TimeSpan.MaxValue);

    /// <summary>The most nodes that held the VIP at one poll in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public int MostHolders(TimeSpan from, TimeSpan to) => Snapshot(_holders).Where(h => h.At >= from && h.At < to).Select(h => h.Holders.Length).DefaultIfEmpty(0).Max();

    /// <summary>Whether the node held the VIP at every sample since <paramref name="from"/>.</summary>
    public bool HeldThroughoutBy(string node, TimeSpan from) => Snapshot(_holders).Where(h => h.At >= from).All(h => h.Holders.Contains(node));

    /// <summary>Whether the node held the VIP at any poll after <paramref name="from"/>.</summary>
    public bool EverHeldBy(string node, TimeSpan from) => Snapshot(_holders).Any(h => h.At >= from && h.Holders.Contains(node));

    /// <summary>The nodes holding the VIP at the last poll.</summary>
    public string[] Holders() => Snapshot(_holders).LastOrDefault().Holders ?? [];

    public string Summary(TimeSpan from) =>
        $"{_vip}: longest client outage {LongestOutage(from).TotalMilliseconds:F0} ms, longest double hold {LongestDoubleHold(from).TotalMilliseconds:F0} ms (poll 50 ms), {Successes(from)} connections";

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }

        await Task.WhenAny(Task.WhenAll(_tasks), Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);

        // Overlapping attempts end within their timeout.
        await Task.Delay(ConnectTimeout).ConfigureAwait(false);
        _clientSockets.Dispose();
        foreach (var watch in _addressWatches.Values)
        {
            watch.Dispose();
        }

        _stop.Dispose();
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static List<T> Snapshot<T>(List<T> list)
    {
        lock (list)
        {
            return [.. list];
        }
    }

    private async Task AnswerAsync(Socket listener, string name)
    {
        byte[] answer = Encoding.ASCII.GetBytes(name);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var connection = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
                await connection.SendAsync(answer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Stopping, or a client that went away: keep answering until disposed.
            }
        }
    }

    private async Task ConnectLoopAsync()
    {
        var endpoint = new IPEndPoint(IPAddress.Parse(_vip), Port);
        while (!_stop.IsCancellationRequested)
        {
            var at = _clock.Elapsed;
            var attempt = AttemptAsync(endpoint, at);
            if (!_overlapping)
            {
                await attempt.ConfigureAwait(false);
            }

            var next = at + _connectInterval - _clock.Elapsed;
            if (next > TimeSpan.Zero)
            {
                await Task.Delay(next).ConfigureAwait(false);
            }
        }
    }

    private async Task AttemptAsync(IPEndPoint endpoint, TimeSpan at)
    {
        byte[] buffer = new byte[64];
        string? answeredBy = null;
        try
        {
            using var client = _clientSockets.CreateTcp(_vipAddress.AddressFamily);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            attempt.CancelAfter(ConnectTimeout);
            await client.ConnectAsync(endpoint, attempt.Token).ConfigureAwait(false);
            int n = await client.ReceiveAsync(buffer, SocketFlags.None, attempt.Token).ConfigureAwait(false);
            answeredBy = n > 0 ? Encoding.ASCII.GetString(buffer, 0, n) : null;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // No answer within the timeout: this attempt counts as an outage.
        }

        lock (_attempts)
        {
            _attempts.Add((at, answeredBy));
        }
    }

    private async Task HolderLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var at = _clock.Elapsed;
            var holders = _nodes.Where(Holds).Select(n => n.Name).ToArray();
            lock (_holders)
            {
                _holders.Add((at, holders));
            }

            var next = at + HolderInterval - _clock.Elapsed;
            if (next > TimeSpan.Zero)
            {
                await Task.Delay(next).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Asked over a netlink socket in the node's namespace (no `ip` process every 50 ms to load the machine).</summary>
    private bool Holds(LabNode node)
    {
        try
        {
            return _addressWatches[node.Name].Has(_vipAddress);
        }
        catch (InvalidDataException)
        {
            return _lab.HasAddress(node, _vip);
        }
    }
}
