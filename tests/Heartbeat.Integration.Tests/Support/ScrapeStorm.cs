using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;

namespace Heartbeat.Integration.Tests.Support;

/// <summary>
/// A paced storm of scrapes from inside a lab namespace: one connection per scrape (the listener closes after every
/// answer), each started on a fixed schedule (<c>perSecond</c>) with a bound on those in flight, so the rate is what
/// the client promised rather than what one sequential client's round trips allow (curl's globbing tops out near
/// 600 a second here, connection set-up included).
/// </summary>
internal static class ScrapeStorm
{
    public sealed record Result(int Sent, int Answered200, IReadOnlyList<double> LatenciesMs, TimeSpan Elapsed, IReadOnlyList<string> Failures)
    {
        public double Rate => Answered200 / Elapsed.TotalSeconds;
    }

    public static async Task<Result> RunAsync(string netns, IPEndPoint target, int perSecond, TimeSpan duration, int inFlight)
    {
        using var factory = new NetnsSocketFactory(netns);
        int total = (int)(perSecond * duration.TotalSeconds);
        byte[] request = Encoding.ASCII.GetBytes($"GET /metrics HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n");
        var latencies = new ConcurrentBag<double>();
        var failures = new ConcurrentQueue<string>();
        int ok = 0;
        using var gate = new SemaphoreSlim(inFlight);
        var tasks = new List<Task>(total);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < total; i++)
        {
            // Late starts (a coarse timer, a full gate) are caught up at once: the schedule, not the last start, sets the pace.
            var wait = TimeSpan.FromSeconds((double)i / perSecond) - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(2))
            {
                await Task.Delay(wait);
            }

            await gate.WaitAsync();
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    long started = Stopwatch.GetTimestamp();
                    if (await ScrapeAsync(factory, target, request) is { } failure)
                    {
                        failures.Enqueue(failure);
                        return;
                    }

                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    Interlocked.Increment(ref ok);
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        await Task.WhenAll(tasks);
        clock.Stop();
        return new Result(total, ok, [.. latencies.Order()], clock.Elapsed, [.. failures]);
    }

    /// <summary>One scrape: null when it was answered 200 with a complete body, else why not.</summary>
    private static async Task<string?> ScrapeAsync(NetnsSocketFactory factory, IPEndPoint target, byte[] request)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            using var socket = factory.CreateTcp(target.AddressFamily);
            await socket.ConnectAsync(target, timeout.Token);
            await socket.SendAsync(request, System.Net.Sockets.SocketFlags.None, timeout.Token);
            var buffer = new byte[64 * 1024];
            int length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                int read = await socket.ReceiveAsync(buffer.AsMemory(length), System.Net.Sockets.SocketFlags.None, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            string head = Encoding.ASCII.GetString(buffer, 0, Math.Min(length, 64));
            return head.StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal) && Encoding.ASCII.GetString(buffer, 0, length).Contains("heartbeat_build_info", StringComparison.Ordinal)
                ? null
                : $"answered: {head.Split('\r')[0]}";
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.Net.Sockets.SocketException)
        {
            return ex.GetType().Name + ": " + ex.Message;
        }
    }
}
