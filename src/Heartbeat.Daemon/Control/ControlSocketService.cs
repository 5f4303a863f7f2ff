using System.Net.Sockets;
using Heartbeat.Daemon.Logging;
using Heartbeat.Protocol.Control;
using Heartbeat.Protocol.Events;
using Heartbeat.Protocol.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Control;

/// <summary>
/// The Unix socket <c>hbctl</c> talks to: <c>&lt;run dir&gt;/control.sock</c>, mode 0600 (root only, like the FIFO
/// 3.0.6's hb_standby writes to). One request line per connection, answered by the event loop, then closed. Two verbs
/// are answered here without the loop: <c>metrics</c> (the last published frame, <see cref="MetricBoard"/>) and
/// <c>events</c> (the ring's history and, with <c>follow</c>, what comes after: see <see cref="EventFollower"/>).
/// </summary>
public sealed class ControlSocketService(DaemonSettings settings, ControlDesk desk, MetricBoard metrics, EventRing events, ILogger<ControlSocketService> logger) : BackgroundService
{
    private const int MaxRequestBytes = 64 * 1024;
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string path = ControlSocketPath.In(settings.RunDirectory);
        Socket listener;
        try
        {
            listener = Bind(path);
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
        {
            // The cluster keeps running without it; the operator is told why hbctl cannot connect.
            MembershipLog.ControlUnavailable(logger, path, ex.Message);
            return;
        }

        MembershipLog.ControlListening(logger, path);
        using (listener)
        {
            try
            {
                while (!stoppingToken.IsCancellationRequested)
                {
                    var client = await listener.AcceptAsync(stoppingToken).ConfigureAwait(false);
                    _ = ServeAsync(client, stoppingToken);
                }
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
            finally
            {
                TryDelete(path);
            }
        }
    }

    /// <summary>
    /// Binds under a temporary name, restricts it to root, then renames it into place: there is no moment at which the
    /// final path accepts connections with the default mode.
    /// </summary>
    private static Socket Bind(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = path + ".new";
        TryDelete(temporary);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(temporary));
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(temporary, path, overwrite: true);
            socket.Listen(16);
            return socket;
        }
        catch
        {
            socket.Dispose();
            TryDelete(temporary);
            throw;
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken stopping)
    {
        using (client)
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping))
        {
            timeout.CancelAfter(ClientTimeout);
            try
            {
                byte[] buffer = new byte[MaxRequestBytes];
                int length = 0;
                while (length < buffer.Length && Array.IndexOf(buffer, (byte)'\n', 0, length) < 0)
                {
                    int n = await client.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        break;
                    }

                    length += n;
                }

                var request = ControlJsonContext.ParseRequest(buffer.AsSpan(0, length).TrimEnd((byte)'\n'));
                ControlResponse response;
                if (request is null)
                {
                    MembershipLog.ControlRequestBad(logger, "not a control request");
                    response = new ControlResponse(ControlRequest.CurrentVersion, Ok: false, Error: "not a control request (expected one JSON object per line)");
                }
                else if (request.Command == "events" && request.Version == ControlRequest.CurrentVersion)
                {
                    // A stream, not one answer: no overall timeout once it started, only each send's.
                    timeout.CancelAfter(Timeout.InfiniteTimeSpan);
                    await new EventFollower(events, client).RunAsync(request.Argument == "follow", stopping).ConfigureAwait(false);
                    return;
                }
                else if (request.Command == "metrics" && request.Version == ControlRequest.CurrentVersion)
                {
                    // The exposition text in Message, rendered from the loop's last publication: the loop is not asked.
                    response = metrics.Render() is { } text
                        ? new ControlResponse(ControlRequest.CurrentVersion, Ok: true, Message: System.Text.Encoding.UTF8.GetString(text))
                        : ControlResponse.Refused("the daemon is starting: no metrics published yet");
                }
                else
                {
                    response = await desk.SubmitAsync(request).WaitAsync(timeout.Token).ConfigureAwait(false);
                }

                byte[] answer = [.. ControlJsonContext.Serialize(response), (byte)'\n'];
                await client.SendAsync(answer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                MembershipLog.ControlRequestBad(logger, ex.Message);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing to clean up, or not ours to remove.
        }
    }
}
