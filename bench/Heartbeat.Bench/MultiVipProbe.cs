using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Heartbeat.Bench.Shared;
using Heartbeat.Integration.Tests.Support;

namespace Heartbeat.Bench;

/// <summary>
/// A client asking every VIP of a large group at once: each interval one UDP datagram to each VIP (its index in the
/// payload) from one socket in the client's namespace; every node answers on 0.0.0.0:<see cref="ProbeListeners.Port"/> with the
/// index and its name (listeners from <see cref="ProbeListeners"/>). Cheaper than a TCP connection per VIP and interval (256 VIPs every 20 ms are 12,800 connections
/// a second, which would load the 2-core machine the daemons run on), and as telling: a datagram to a VIP reaches a
/// node only once the client's neighbour entry for that VIP points at it, which is what a takeover must achieve.
/// </summary>
public sealed class MultiVipProbe : IDisposable
{
    private readonly IPEndPoint[] _vips;
    private readonly Socket _client;
    private readonly List<Socket> _listeners = [];
    private readonly List<Thread> _threads = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _interval;
    private readonly Lock _lock = new();
    private readonly TimeSpan?[] _firstAnswer;
    private string? _expected;
    private TimeSpan _expectedSince;

    /// <summary>Started at construction: <see cref="Now"/> and the answers' times are on this clock.</summary>
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;

    public MultiVipProbe(Lab lab, IEnumerable<LabNode> nodes, IReadOnlyList<string> vips, string clientNetns, TimeSpan interval)
    {
        _vips = [.. vips.Select(v => new IPEndPoint(IPAddress.Parse(v), ProbeListeners.Port))];
        _firstAnswer = new TimeSpan?[_vips.Length];
        _interval = interval;
        foreach (var (node, listener) in ProbeListeners.Open(lab, nodes, ProtocolType.Udp))
        {
            _listeners.Add(listener);
            string name = node.Name;
            Spawn(() => Answer(listener, name), "answer " + name);
        }

        _client = NetnsSocket.CreateUdp(clientNetns);
        _client.Bind(new IPEndPoint(IPAddress.Any, 0));
        Spawn(Send, "probe send");
        Spawn(Receive, "probe receive");
    }

    public TimeSpan Now => _clock.Elapsed;

    /// <summary>While paused the client sends nothing (a footprint at rest must not count the nodes' answers).</summary>
    public bool Paused { get; set; }

    /// <summary>The wall-clock time of a probe time (to line it up with captures and logs).</summary>
    public DateTimeOffset WallClock(TimeSpan at) => _startedAt + at;

    /// <summary>From now on, note each VIP's first answer by <paramref name="node"/>; returns the mark (now).</summary>
    public TimeSpan Expect(string node)
    {
        lock (_lock)
        {
            Array.Clear(_firstAnswer);
            _expected = node;
            _expectedSince = _clock.Elapsed;
            return _expectedSince;
        }
    }

    /// <summary>How many VIPs the expected node has answered for since <see cref="Expect"/>.</summary>
    public int Answered()
    {
        lock (_lock)
        {
            return _firstAnswer.Count(a => a is not null);
        }
    }

    public bool AllAnswered => Answered() == _vips.Length;

    /// <summary>Since the mark: the expected node's first answer for the first VIP and for every VIP (null: not yet).</summary>
    public (double? First, double? All) Since(TimeSpan mark)
    {
        lock (_lock)
        {
            double? first = _firstAnswer[0] is { } f ? (f - mark).TotalMilliseconds : null;
            double? all = _firstAnswer.All(a => a is not null) ? (_firstAnswer.Max()!.Value - mark).TotalMilliseconds : null;
            return (first, all);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _client.Dispose();
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }

        foreach (var thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }

        _stop.Dispose();
    }

    private void Spawn(ThreadStart body, string name)
    {
        var thread = new Thread(body) { IsBackground = true, Name = name };
        _threads.Add(thread);
        thread.Start();
    }

    private void Answer(Socket listener, string name)
    {
        byte[] buffer = new byte[64];
        byte[] nameBytes = Encoding.ASCII.GetBytes(name);
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                int n = listener.ReceiveFrom(buffer, ref from);
                if (n == 2)
                {
                    nameBytes.CopyTo(buffer, 2);
                    listener.SendTo(buffer.AsSpan(0, 2 + nameBytes.Length), SocketFlags.None, from);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Closing, or no route back yet (the VIP's subnet not on this node): keep answering until disposed.
            }
        }
    }

    private void Send()
    {
        byte[] payload = new byte[2];
        var next = _clock.Elapsed;
        while (!_stop.IsCancellationRequested)
        {
            for (int i = 0; i < _vips.Length && !Paused; i++)
            {
                payload[0] = (byte)(i >> 8);
                payload[1] = (byte)i;
                try
                {
                    _client.SendTo(payload, _vips[i]);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    // No neighbour yet (an unanswered ARP): that VIP is down for now.
                }
            }

            next += _interval;
            var wait = next - _clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                Thread.Sleep(wait);
            }
            else
            {
                next = _clock.Elapsed;
            }
        }
    }

    private void Receive()
    {
        byte[] buffer = new byte[64];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                int n = _client.ReceiveFrom(buffer, ref from);
                var at = _clock.Elapsed;
                if (n < 3)
                {
                    continue;
                }

                int index = (buffer[0] << 8) | buffer[1];
                string by = Encoding.ASCII.GetString(buffer, 2, n - 2);
                lock (_lock)
                {
                    if (index < _firstAnswer.Length && by == _expected && at >= _expectedSince)
                    {
                        _firstAnswer[index] ??= at;
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Closing (or an ICMP error for a datagram): go on until disposed.
            }
        }
    }
}
