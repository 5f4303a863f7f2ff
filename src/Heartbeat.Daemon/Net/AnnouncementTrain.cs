namespace Heartbeat.Daemon.Net;

/// <summary>
/// The announcement rounds of several VIPs started together (a group's addresses, or one): the first round of every VIP
/// at once, every VIP's first frame before any VIP's second (so the last VIP's first gratuitous ARP is as early as it can
/// be), then each later round of all of them in one timer tick: one wake-up per round, not one timer per VIP. A VIP
/// whose token is cancelled (its address given up) is skipped from then on; the timer stops when every one is.
/// </summary>
internal static class AnnouncementTrain
{
    /// <summary>One VIP of the train: its frames and the token that ends its announcements.</summary>
    public sealed record Member(AnnouncementFrames Frames, CancellationToken Cancellation);

    /// <summary>
    /// How a round's frames are sent (the AF_PACKET socket's sendmmsg in the daemon): in order, as many as one call takes;
    /// returns how many went (at least one), or throws for the first one when it failed
    /// (<see cref="Interop.NativeCallException"/>; <see cref="ObjectDisposedException"/> when the daemon is exiting).
    /// </summary>
    public delegate int Send(ReadOnlySpan<Frame> frames);

    /// <summary>A frame of a round: the member it announces (its index), where it goes, its bytes.</summary>
    public readonly record struct Frame(int Member, AnnouncementFrames Frames, byte[] Bytes);

    /// <summary>
    /// Sends the first round now and returns the task of the later rounds (frames sent in all when complete);
    /// <paramref name="failures"/> holds, per member, what failed its first round (null: sent), and a member whose
    /// first round failed is not announced again.
    /// </summary>
    public static Task<int> Start(IReadOnlyList<Member> members, ArpAnnouncement announcement, Send send, Func<TimeSpan, CancellationToken, Task> delay, out Exception?[] failures)
    {
        failures = new Exception?[members.Count];
        if (announcement.Count <= 0 || members.Count == 0)
        {
            return Task.FromResult(0);
        }

        var live = new bool[members.Count];
        Array.Fill(live, true);
        int sent = SendRound(members, live, send, failures);
        return announcement.Count == 1 ? Task.FromResult(sent) : RemainingAsync(members, live, announcement, send, delay, sent);
    }

    /// <summary>
    /// How long a round waits before it sends a frame refused with ENOBUFS once more: long enough for the device's
    /// transmit queue to drain (a 1 Gb/s link sends a default queue of 1000 ARP frames in about 0.7 ms). It blocks
    /// the sending thread, never the event loop: the first round runs on the group worker (or a VIP check's pool
    /// thread, or the <c>resource</c> command), the later ones on the timer's pool thread.
    /// </summary>
    private static readonly TimeSpan BusyDevicePause = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// One round of every live member, every member's first frame before any member's second, handed to
    /// <paramref name="send"/> in as few calls as it takes: after a short call the rest goes again, a frame refused with
    /// ENOBUFS goes again once after <see cref="BusyDevicePause"/>, and a frame that fails otherwise (or twice) takes its
    /// member out of the train (its later frames are not sent) while the others go on.
    /// </summary>
    private static int SendRound(IReadOnlyList<Member> members, bool[] live, Send send, Exception?[]? failures)
    {
        var round = new List<Frame>(members.Count * 2);
        int frames = members.Max(m => m.Frames.Round.Length);
        for (int f = 0; f < frames; f++)
        {
            for (int i = 0; i < members.Count; i++)
            {
                var member = members[i];
                if (live[i] && !member.Cancellation.IsCancellationRequested && f < member.Frames.Round.Length)
                {
                    round.Add(new Frame(i, member.Frames, member.Frames.Round[f]));
                }
            }
        }

        int sent = 0;
        int at = 0;
        bool resent = false;
        while (at < round.Count)
        {
            try
            {
                int count = send(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(round)[at..]);
                if (count <= 0)
                {
                    // A sender that takes nothing and reports nothing: fail that frame rather than ask again forever.
                    throw new Interop.NativeCallException("send", Interop.Errno.Eagain);
                }

                sent += count;
                at += count;
                resent = false;
            }
            catch (Interop.NativeCallException ex) when (ex.Errno == Interop.Errno.Enobufs && !resent)
            {
                // The device's transmit queue was full for a moment (a dense first round of hundreds of VIPs can fill
                // it): not a reason to fail the VIP's group. Once more from this frame, after the queue drained a little.
                resent = true;
                Thread.Sleep(BusyDevicePause);
            }
            catch (Exception ex) when (ex is Interop.NativeCallException or ObjectDisposedException)
            {
                // That VIP's interface went away (the monitor will notice), or the daemon is exiting: the others go on.
                resent = false;
                int failed = round[at].Member;
                live[failed] = false;
                if (failures is not null)
                {
                    failures[failed] = ex;
                }

                // What is sent stays sent; of the rest, that member's frames go.
                round.RemoveRange(0, at);
                at = 0;
                round.RemoveAll(frame => frame.Member == failed);
            }
        }

        return sent;
    }

    private static async Task<int> RemainingAsync(IReadOnlyList<Member> members, bool[] live, ArpAnnouncement announcement, Send send, Func<TimeSpan, CancellationToken, Task> delay, int sent)
    {
        // The timer's token: cancelled once every member's is.
        using var everyoneGone = new CancellationTokenSource();
        int remaining = members.Count;
        var registrations = new CancellationTokenRegistration[members.Count];
        for (int i = 0; i < members.Count; i++)
        {
            registrations[i] = members[i].Cancellation.Register(() =>
            {
                if (Interlocked.Decrement(ref remaining) == 0)
                {
                    everyoneGone.Cancel();
                }
            });
        }

        try
        {
            for (int round = 1; round < announcement.Count; round++)
            {
                await delay(announcement.Spacing, everyoneGone.Token).ConfigureAwait(false);
                sent += SendRound(members, live, send, null);
            }
        }
        catch (OperationCanceledException)
        {
            // Every address was given up: stop announcing.
        }
        finally
        {
            foreach (var registration in registrations)
            {
                await registration.DisposeAsync().ConfigureAwait(false);
            }
        }

        return sent;
    }
}
