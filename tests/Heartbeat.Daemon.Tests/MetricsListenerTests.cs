using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Heartbeat.Daemon.Metrics;
using Heartbeat.Protocol.Metrics;
using Microsoft.Extensions.Logging.Abstractions;

namespace Heartbeat.Daemon.Tests;

/// <summary>The /metrics listener on a loopback port, against a scraper and against clients that misbehave.</summary>
public sealed class MetricsListenerTests : IAsyncLifetime
{
    private readonly MetricBoard _board = new();
    private MetricsListener _listener = null!;
    private long _value = 41;

    private IPEndPoint Endpoint => _listener.Endpoint!;

    public async Task InitializeAsync()
    {
        _board.Counter("heartbeat_test_total", "A test counter.", () => _value);
        _board.Seal();
        _board.Publish();
        _listener = new MetricsListener(new DaemonSettings { MetricsListen = new IPEndPoint(IPAddress.Loopback, 0) }, _board, NullLogger<MetricsListener>.Instance);
        await _listener.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _listener.StopAsync(CancellationToken.None);

    private string Exchange(byte[] request, bool shutdownAfterSending = true)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
        client.Connect(Endpoint);
        client.Send(request);
        if (shutdownAfterSending)
        {
            client.Shutdown(SocketShutdown.Send);
        }

        return ReadAll(client);
    }

    private static string ReadAll(Socket client)
    {
        var answer = new MemoryStream();
        byte[] buffer = new byte[4096];
        int n;
        try
        {
            while ((n = client.Receive(buffer)) > 0)
            {
                answer.Write(buffer, 0, n);
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Closed with unread bytes: what came before is the answer.
        }

        return Encoding.UTF8.GetString(answer.ToArray());
    }

    [Fact]
    public void A_scrape_gets_the_published_text()
    {
        string answer = Exchange("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n"u8.ToArray());
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/plain; version=0.0.4; charset=utf-8", answer, StringComparison.Ordinal);
        Assert.EndsWith("heartbeat_test_total 41\n", answer, StringComparison.Ordinal);
        int length = int.Parse(answer.Split("Content-Length: ")[1].Split("\r\n")[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(length, Encoding.UTF8.GetByteCount(answer[(answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]));
    }

    [Theory]
    [InlineData("POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", "405")]
    [InlineData("GET /admin HTTP/1.1\r\n\r\n", "404")]
    [InlineData("BREW /pot HTCPCP/1.0\r\n\r\n", "400")]
    public void Anything_but_GET_metrics_is_refused(string request, string status) =>
        Assert.StartsWith($"HTTP/1.1 {status} ", Exchange(Encoding.ASCII.GetBytes(request)), StringComparison.Ordinal);

    [Fact]
    public void A_huge_head_is_cut_off_at_the_bound()
    {
        byte[] huge = Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nX-Big: " + new string('a', 64 * 1024) + "\r\n\r\n");
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000, SendTimeout = 10_000 };
        client.Connect(Endpoint);
        try
        {
            client.Send(huge);
        }
        catch (SocketException)
        {
            // The listener may close before taking it all.
        }

        Assert.StartsWith("HTTP/1.1 431 ", ReadAll(client), StringComparison.Ordinal);
    }

    [Fact]
    public void Pipelined_requests_get_one_answer_and_the_connection_closes()
    {
        string answer = Exchange("GET /metrics HTTP/1.1\r\n\r\nGET /metrics HTTP/1.1\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n"u8.ToArray());
        Assert.Equal(1, answer.Split("HTTP/1.1 200 OK").Length - 1);
    }

    [Fact]
    public void Slow_and_silent_clients_are_dropped_at_the_deadline_while_scrapes_go_on()
    {
        // More slowloris clients than the listener has workers: each trickles a byte now and then, never ending its head.
        var slow = Enumerable.Range(0, MetricsListener.Workers + 2).Select(_ =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 15_000 };
            s.Connect(Endpoint);
            s.Send("GET /metrics HTTP/1.1\r\n"u8.ToArray());
            return s;
        }).ToList();
        try
        {
            var stopwatch = Stopwatch.StartNew();
            for (int i = 0; i < 3; i++)
            {
                Thread.Sleep(500);
                foreach (var s in slow)
                {
                    s.Send("X"u8.ToArray());
                }
            }

            // A real scrape waits at most for a worker to drop its slow client (the deadline), not forever.
            string answer = Exchange("GET /metrics HTTP/1.1\r\n\r\n"u8.ToArray());
            Assert.StartsWith("HTTP/1.1 200 OK", answer, StringComparison.Ordinal);
            Assert.True(stopwatch.Elapsed < MetricsListener.ClientDeadline * 3, $"took {stopwatch.Elapsed}");

            // The slow ones got no answer: they were closed.
            foreach (var s in slow.Take(MetricsListener.Workers))
            {
                Assert.Equal(string.Empty, ReadAll(s));
            }
        }
        finally
        {
            slow.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Before_the_first_publication_a_scrape_is_told_to_come_back()
    {
        var board = new MetricBoard();
        board.Gauge("g", "g", () => 1);
        board.Seal();
        using var listener = new MetricsListener(new DaemonSettings { MetricsListen = new IPEndPoint(IPAddress.Loopback, 0) }, board, NullLogger<MetricsListener>.Instance);
        await listener.StartAsync(CancellationToken.None);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
        client.Connect(listener.Endpoint!);
        client.Send("GET /metrics HTTP/1.1\r\n\r\n"u8.ToArray());
        Assert.StartsWith("HTTP/1.1 503 ", ReadAll(client), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_an_address_nothing_listens()
    {
        using var listener = new MetricsListener(new DaemonSettings(), _board, NullLogger<MetricsListener>.Instance);
        await listener.StartAsync(CancellationToken.None);
        Assert.Null(listener.Endpoint);
    }
}
