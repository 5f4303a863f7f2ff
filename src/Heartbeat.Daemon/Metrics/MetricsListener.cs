using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Heartbeat.Daemon.Logging;
using Heartbeat.Protocol.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Metrics;

/// <summary>
/// The <c>/metrics</c> endpoint: off unless <c>--metrics-listen ADDRESS:PORT</c> names where (no wildcard default),
/// plain HTTP/1.x on a raw socket (no web stack: NativeAOT and the footprint). <see cref="Workers"/> threads of their
/// own, at normal priority, each accept and serve one connection at a time, so at most that many clients are served at
/// once and the rest wait in the kernel's backlog; a client has <see cref="ClientDeadline"/> in all to send its request
/// head (at most <see cref="ScrapeRequest.MaxHeadBytes"/>) and take the answer, whatever it trickles. The answer is the
/// last frame the event loop published (<see cref="MetricBoard"/>): nothing here touches, wakes or waits for the loop.
/// </summary>
public sealed class MetricsListener(DaemonSettings settings, MetricBoard board, ILogger<MetricsListener> logger) : IHostedService, IDisposable
{
    public const int Workers = 4;
    public static readonly TimeSpan ClientDeadline = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan AcceptRetryPause = TimeSpan.FromMilliseconds(100);

    private static readonly byte[] NotFoundBody = "only GET /metrics is served here\n"u8.ToArray();
    private static readonly byte[] NotReadyBody = "the daemon is starting: no metrics published yet\n"u8.ToArray();

    private Socket? _listener;
    private volatile bool _stopping;

    /// <summary>Where it listens once started (the port chosen by the kernel when 0 was given); null when off.</summary>
    public IPEndPoint? Endpoint { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings.MetricsListen is not { } endpoint)
        {
            return Task.CompletedTask;
        }

        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                // [::] means IPv6 only, as written: no silent IPv4 too.
                socket.DualMode = false;
            }

            socket.Bind(endpoint);
            socket.Listen(16);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            MetricsLog.Unavailable(logger, endpoint.ToString(), ex.Message);
            return Task.CompletedTask;
        }

        _listener = socket;
        Endpoint = (IPEndPoint)socket.LocalEndPoint!;
        MetricsLog.Listening(logger, Endpoint.ToString());
        for (int i = 0; i < Workers; i++)
        {
            new Thread(() => AcceptLoop(socket)) { IsBackground = true, Name = "metrics " + i }.Start();
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _stopping = true;
        _listener?.Dispose();
    }

    private void AcceptLoop(Socket listener)
    {
        while (!_stopping)
        {
            Socket client;
            try
            {
                client = listener.Accept();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                if (_stopping)
                {
                    return;
                }

                // A persistent failure (EMFILE, ENFILE: a machine already in trouble) must not become four threads
                // spinning on it: say so and pause before the next accept.
                MetricsLog.ClientProblem(logger, "accept", ex.Message);
                Thread.Sleep(AcceptRetryPause);
                continue;
            }

            using (client)
            {
                try
                {
                    Serve(client);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException or TimeoutException)
                {
                    MetricsLog.ClientProblem(logger, client.RemoteEndPoint?.ToString() ?? "?", ex.Message);
                }
            }
        }
    }

    /// <summary>One request, one answer, then the connection is closed (pipelined requests after the first are not read).</summary>
    private void Serve(Socket client)
    {
        long started = Stopwatch.GetTimestamp();
        byte[] buffer = new byte[ScrapeRequest.MaxHeadBytes];
        int length = 0;
        var verdict = ScrapeVerdict.Incomplete;
        while (verdict == ScrapeVerdict.Incomplete)
        {
            var left = ClientDeadline - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException("no complete request within the deadline");
            }

            client.ReceiveTimeout = Math.Max(1, (int)left.TotalMilliseconds);
            int n = client.Receive(buffer, length, buffer.Length - length, SocketFlags.None);
            if (n == 0)
            {
                return; // the client gave up
            }

            length += n;
            verdict = ScrapeRequest.Parse(buffer.AsSpan(0, length));
        }

        byte[] body = verdict switch
        {
            ScrapeVerdict.Metrics => board.Render() ?? NotReadyBody,
            _ => NotFoundBody,
        };
        if (verdict == ScrapeVerdict.Metrics && ReferenceEquals(body, NotReadyBody))
        {
            verdict = ScrapeVerdict.NotReady;
        }

        var remaining = ClientDeadline - Stopwatch.GetElapsedTime(started);
        client.SendTimeout = Math.Max(1, (int)remaining.TotalMilliseconds);
        client.Send(ScrapeRequest.Head(verdict, body.Length));
        client.Send(body);
        client.Shutdown(SocketShutdown.Send);
    }
}
