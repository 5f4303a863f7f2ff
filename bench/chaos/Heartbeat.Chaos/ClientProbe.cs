using System.Net;
using System.Net.Sockets;
using System.Text;
using Heartbeat.Bench.Shared;
using Heartbeat.Integration.Tests.Support;

namespace Heartbeat.Chaos;

/// <summary>
/// The client of the campaign: from the lab's outsider namespace it connects to every VIP every 10 ms (a new attempt each
/// interval, whether or not the last one finished; 200 ms to answer), and every node answers on any address with its
/// name (listeners from <see cref="ProbeListeners"/>). Records each attempt with its wall-clock time: who answered, or nobody.
/// </summary>
public sealed class ClientProbe : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromMilliseconds(200);
    private readonly NetnsSocketFactory _client;
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _loops = [];
    private readonly List<ProbeAttempt> _attempts = [];
    private readonly CancellationTokenSource _stop = new();
    private int _disposed;

    public ClientProbe(Lab lab, IEnumerable<LabNode> nodes, IEnumerable<string> vips, string clientNetns)
    {
        _client = new NetnsSocketFactory(clientNetns);
        foreach (var (node, listener) in ProbeListeners.Open(lab, nodes, ProtocolType.Tcp))
        {
            _listeners.Add(listener);
            byte[] name = Encoding.ASCII.GetBytes(node.Name);
            _loops.Add(Task.Run(() => AnswerAsync(listener, name)));
        }

        foreach (string vip in vips)
        {
            _loops.Add(Task.Run(() => ConnectLoopAsync(vip)));
        }
    }

    /// <summary>Every attempt so far (a copy).</summary>
    public List<ProbeAttempt> Attempts()
    {
        lock (_attempts)
        {
            return [.. _attempts];
        }
    }

    /// <summary>Whether the last answered attempt to each VIP is at most <paramref name="within"/> old.</summary>
    public bool AllAnswering(IEnumerable<string> vips, TimeSpan within)
    {
        double now = EvidenceParsers.Epoch(DateTimeOffset.UtcNow);
        var attempts = Attempts();
        return vips.All(v => attempts.Any(a => a.Vip == v && a.AnsweredBy is not null && now - a.At < within.TotalSeconds));
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }

        await Task.WhenAny(Task.WhenAll(_loops), Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        await Task.Delay(AnswerTimeout).ConfigureAwait(false);
        _client.Dispose();
        _stop.Dispose();
    }

    private async Task AnswerAsync(Socket listener, byte[] name)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var connection = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
                await connection.SendAsync(name, SocketFlags.None, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A client gone or the probe stopping: answer the next one until disposed.
            }
        }
    }

    private async Task ConnectLoopAsync(string vip)
    {
        var endpoint = new IPEndPoint(IPAddress.Parse(vip), ProbeListeners.Port);
        var next = DateTimeOffset.UtcNow;
        while (!_stop.IsCancellationRequested)
        {
            _ = AttemptAsync(vip, endpoint);
            next += Interval;
            var wait = next - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            else
            {
                // Behind (a loaded machine): skip the missed slots rather than bursting to catch up.
                next = DateTimeOffset.UtcNow;
            }
        }
    }

    private async Task AttemptAsync(string vip, IPEndPoint endpoint)
    {
        double at = EvidenceParsers.Epoch(DateTimeOffset.UtcNow);
        string? answeredBy = null;
        try
        {
            using var socket = _client.CreateTcp();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(AnswerTimeout);
            await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
            byte[] buffer = new byte[32];
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            answeredBy = n > 0 ? Encoding.ASCII.GetString(buffer, 0, n) : null;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Refused, unreachable or no answer in time: an attempt nobody answered.
        }

        if (_stop.IsCancellationRequested)
        {
            return;
        }

        lock (_attempts)
        {
            _attempts.Add(new ProbeAttempt(at, vip, answeredBy));
        }
    }
}
