using System.Net.Sockets;
using Heartbeat.Protocol.Control;
using Heartbeat.Protocol.Events;

namespace Heartbeat.Daemon.Control;

/// <summary>
/// One <c>hbctl events</c> connection: a first line (the control response, ok), then the ring's history as JSON lines,
/// then, when following, each new event as it comes. A reader that falls more than the ring behind gets a
/// <c>gap</c> line with the count it missed; one that does not take a line within <see cref="SendTimeout"/> is
/// dropped. The ring's writer (the log writer thread) never waits for a follower.
/// </summary>
internal sealed class EventFollower(EventRing ring, Socket client)
{
    public static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(5);

    public async Task RunAsync(bool follow, CancellationToken stopping)
    {
        byte[] first = [.. ControlJsonContext.Serialize(new ControlResponse(ControlRequest.CurrentVersion, Ok: true, Message: follow ? "events, following" : "events")), (byte)'\n'];
        await SendAsync(first, stopping).ConfigureAwait(false);
        var batch = new List<NodeEvent>();
        long seen = 0;
        while (true)
        {
            batch.Clear();
            long missed = ring.ReadAfter(seen, batch);
            if (missed > 0 && seen > 0)
            {
                await SendAsync(EventJson.Gap(missed), stopping).ConfigureAwait(false);
            }

            foreach (var e in batch)
            {
                await SendAsync(EventJson.Line(e), stopping).ConfigureAwait(false);
                seen = e.Seq;
            }

            if (!follow)
            {
                return;
            }

            await ring.WaitAfterAsync(seen, stopping).ConfigureAwait(false);
        }
    }

    private async Task SendAsync(byte[] line, CancellationToken stopping)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(SendTimeout);
        int sent = 0;
        while (sent < line.Length)
        {
            sent += await client.SendAsync(line.AsMemory(sent), SocketFlags.None, timeout.Token).ConfigureAwait(false);
        }
    }
}
