using System.Net;
using System.Runtime.InteropServices;
using Heartbeat.Daemon.Interop;
using Heartbeat.Daemon.Net;
using Heartbeat.Daemon.Resources;
using Heartbeat.Protocol.Config;
using Microsoft.Extensions.Logging.Abstractions;

namespace Heartbeat.Daemon.Tests;

/// <summary>A group's VIPs started together: acknowledgements of a batch, the announcement train, the runs of VIPs in a group.</summary>
public class VipBatchTests
{
    [Fact]
    public void The_acknowledgements_of_a_batch_give_each_request_its_errno()
    {
        // Three answers in one buffer, as the kernel may queue them: two ACKs and an EEXIST, with a data message between.
        byte[] buffer = new byte[36 * 3 + 20];
        Write(buffer, 0, 100, 0);
        MemoryMarshal.Write(buffer.AsSpan(36), new NlMsgHdr { Length = 20, Type = NetlinkMessages.RtmNewAddr, Sequence = 101 });
        Write(buffer, 56, 101, -17);
        Write(buffer, 92, 102, 0);
        var seen = new List<(uint Sequence, int Errno)>();
        NetlinkMessages.ParseAcks(buffer, (sequence, errno) => seen.Add((sequence, errno)));
        Assert.Equal([(100u, 0), (101u, 17), (102u, 0)], seen);

        static void Write(byte[] into, int at, uint sequence, int error)
        {
            MemoryMarshal.Write(into.AsSpan(at), new NlMsgHdr { Length = 36, Type = NetlinkMessages.NlmsgError, Sequence = sequence });
            MemoryMarshal.Write(into.AsSpan(at + 16), error);
        }
    }

    [Fact]
    public async Task A_train_of_256_vips_sends_every_first_frame_first_and_wakes_once_per_round()
    {
        var members = Enumerable.Range(0, 256)
            .Select(i => new AnnouncementTrain.Member(AnnouncementFrames.For(2, [2, 0, 0, 0, 0, 1], IPAddress.Parse($"10.11.{i / 250}.{i % 250 + 1}"), router: false), CancellationToken.None))
            .ToList();
        var sent = new List<byte[]>();
        var calls = new List<int>();
        int wakeUps = 0;
        var later = new TaskCompletionSource();
        var rounds = AnnouncementTrain.Start(members, new ArpAnnouncement(5), frames =>
        {
            calls.Add(frames.Length);
            foreach (var frame in frames)
            {
                sent.Add(frame.Bytes);
            }

            return frames.Length;
        }, async (_, _) =>
        {
            await later.Task;
            wakeUps++;
        }, out var failures);

        // The first round went out before Start returned, in one call: every VIP's request, then every VIP's reply.
        Assert.Equal([512], calls);
        Assert.Equal(512, sent.Count);
        Assert.Equal(members.Select(m => m.Frames.Round[0]), sent.Take(256));
        Assert.Equal(members.Select(m => m.Frames.Round[1]), sent.Skip(256));
        Assert.All(failures, Assert.Null);

        // Four more rounds, one wake-up and one call each (not one timer per VIP and round, nor one call per frame).
        later.SetResult();
        Assert.Equal(256 * 2 * 5, await rounds);
        Assert.Equal(4, wakeUps);
        Assert.Equal([512, 512, 512, 512, 512], calls);
    }

    [Fact]
    public async Task A_vip_given_up_leaves_the_train_and_the_timer_ends_when_all_are()
    {
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();
        var frames = AnnouncementFrames.For(2, [2, 0, 0, 0, 0, 1], IPAddress.Parse("10.11.0.1"), router: false);
        var other = AnnouncementFrames.For(2, [2, 0, 0, 0, 0, 1], IPAddress.Parse("10.11.0.2"), router: false);
        var sent = new List<AnnouncementFrames>();
        var tick = new TaskCompletionSource();
        var rounds = AnnouncementTrain.Start([new(frames, first.Token), new(other, second.Token)], new ArpAnnouncement(5), frames =>
        {
            foreach (var frame in frames)
            {
                sent.Add(frame.Frames);
            }

            return frames.Length;
        }, async (_, cancellation) =>
        {
            await tick.Task.WaitAsync(cancellation);
            tick = new TaskCompletionSource();
        }, out _);
        Assert.Equal(4, sent.Count);

        // The first VIP given up: the next round is the second's only.
        first.Cancel();
        tick.SetResult();
        await WaitUntilAsync(() => sent.Count == 6);
        Assert.Equal([other, other], sent[4..]);

        // Both given up: the train ends without waiting for its last rounds.
        second.Cancel();
        Assert.Equal(6, await rounds.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_failed_first_frame_fails_that_vip_only()
    {
        var good = AnnouncementFrames.For(2, [2, 0, 0, 0, 0, 1], IPAddress.Parse("10.11.0.1"), router: false);
        var gone = AnnouncementFrames.For(3, [2, 0, 0, 0, 0, 2], IPAddress.Parse("10.11.0.2"), router: false);
        var sent = new List<AnnouncementFrames>();
        var rounds = AnnouncementTrain.Start([new(gone, CancellationToken.None), new(good, CancellationToken.None)], new ArpAnnouncement(1), frames =>
        {
            if (frames[0].Frames == gone)
            {
                throw new NativeCallException("sendmmsg", 19);
            }

            sent.Add(frames[0].Frames);
            return 1;
        }, (_, _) => Task.CompletedTask, out var failures);
        Assert.IsType<NativeCallException>(failures[0]);
        Assert.Null(failures[1]);
        Assert.Equal([good, good], sent);
        Assert.Equal(2, await rounds);
    }

    [Fact]
    public async Task A_short_send_is_continued_and_a_failure_inside_the_batch_fails_that_vip_only()
    {
        // Four VIPs; the kernel takes three frames per call, and the third VIP's reply fails (its request went out).
        var members = Members(4);
        var sent = new List<(int Member, byte[] Frame)>();
        var calls = new List<int>();
        var ticks = new TaskCompletionSource();
        var rounds = AnnouncementTrain.Start(members, new ArpAnnouncement(2), frames =>
        {
            calls.Add(frames.Length);
            int taken = 0;
            foreach (var frame in frames[..Math.Min(3, frames.Length)])
            {
                if (frame.Member == 2 && frame.Bytes == members[2].Frames.Round[1])
                {
                    if (taken == 0)
                    {
                        throw new NativeCallException("sendmmsg", 19);
                    }

                    break;
                }

                sent.Add((frame.Member, frame.Bytes));
                taken++;
            }

            return taken;
        }, async (_, _) => await ticks.Task, out var failures);

        // Requests 0 1 2 | request 3, reply 0 1 | reply 2 fails | reply 3: every frame once, in order, but the failed one.
        Assert.Equal([8, 5, 2, 1], calls);
        Assert.Equal([(0, 0), (1, 0), (2, 0), (3, 0), (0, 1), (1, 1), (3, 1)], sent.Select(s => (s.Member, Array.IndexOf(members[s.Member].Frames.Round, s.Frame))));
        Assert.Equal([null, null, typeof(NativeCallException), null], failures.Select(f => f?.GetType()));

        // The second round leaves the failed VIP out.
        sent.Clear();
        ticks.SetResult();
        Assert.Equal(7 + 6, await rounds.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal([0, 1, 3, 0, 1, 3], sent.Select(s => s.Member));
    }

    [Fact]
    public async Task A_frame_refused_with_enobufs_goes_again_once_and_its_vip_succeeds()
    {
        // Three VIPs; the device's queue is full when the second VIP's request comes up, once.
        var members = Members(3);
        var sent = new List<(int Member, int Frame)>();
        var calls = new List<int>();
        bool full = true;
        var rounds = AnnouncementTrain.Start(members, new ArpAnnouncement(1), frames =>
        {
            calls.Add(frames.Length);
            if (full && frames[0].Member == 1)
            {
                full = false;
                throw new NativeCallException("sendmmsg", Errno.Enobufs);
            }

            // One frame a call, so the refused one comes up first in a call of its own.
            sent.Add((frames[0].Member, Array.IndexOf(members[frames[0].Member].Frames.Round, frames[0].Bytes)));
            return 1;
        }, (_, _) => Task.CompletedTask, out var failures);

        Assert.All(failures, Assert.Null);
        Assert.Equal([(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)], sent);
        Assert.Equal([6, 5, 5, 4, 3, 2, 1], calls);
        Assert.Equal(6, await rounds);
    }

    [Fact]
    public async Task A_frame_refused_with_enobufs_twice_fails_its_vip_only()
    {
        var members = Members(2);
        int refused = 0;
        var sent = new List<int>();
        var rounds = AnnouncementTrain.Start(members, new ArpAnnouncement(1), frames =>
        {
            if (frames[0].Member == 0)
            {
                refused++;
                throw new NativeCallException("sendmmsg", Errno.Enobufs);
            }

            sent.Add(frames[0].Member);
            return 1;
        }, (_, _) => Task.CompletedTask, out var failures);

        // Sent once more, not again and again: then that VIP fails as for any other error, and the other goes on.
        Assert.Equal(2, refused);
        Assert.Equal(Errno.Enobufs, Assert.IsType<NativeCallException>(failures[0]).Errno);
        Assert.Null(failures[1]);
        Assert.Equal([1, 1], sent);
        Assert.Equal(2, await rounds);
    }

    [Fact]
    public void Sendmmsg_sends_every_datagram_to_its_own_destination_in_one_call()
    {
        using var first = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        using var second = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        first.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        second.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        first.ReceiveTimeout = second.ReceiveTimeout = 10_000;
        using var sender = SocketCall.Open(2, SocketCall.SockDgram, 0);
        var to = new[] { (IPEndPoint)first.LocalEndPoint!, (IPEndPoint)second.LocalEndPoint!, (IPEndPoint)first.LocalEndPoint! };
        byte[][] datagrams = [[1], [2, 2], [3, 3, 3]];

        Assert.Equal(3, SendMmsgCall.SendMany(sender, datagrams, to.Select(SockAddrIn.From).ToArray()));

        var buffer = new byte[16];
        Assert.Equal(datagrams[0], buffer[..first.Receive(buffer)]);
        Assert.Equal(datagrams[2], buffer[..first.Receive(buffer)]);
        Assert.Equal(datagrams[1], buffer[..second.Receive(buffer)]);
    }

    [Fact]
    public void Sendmmsg_reports_the_errno_of_a_first_datagram_that_cannot_go()
    {
        // A UDP datagram above 64 KiB cannot be sent: EMSGSIZE (90), as a failure of that call, not a count.
        using var sender = SocketCall.Open(2, SocketCall.SockDgram, 0);
        var ex = Assert.Throws<NativeCallException>(() => SendMmsgCall.SendMany(sender, [new byte[70_000]], [SockAddrIn.From(new IPEndPoint(IPAddress.Loopback, 9))]));
        Assert.Equal(90, ex.Errno);
    }

    [Fact]
    public void Runs_of_vips_stop_at_scripts_both_ways()
    {
        // VIP VIP script VIP VIP VIP script: the runs are [0,1] and [3,5], whichever way they are walked.
        IManagedResource[] group = [Vip("10.11.0.1"), Vip("10.11.0.2"), new Script(), Vip("10.11.0.3"), Vip("10.11.0.4"), Vip("10.11.0.5"), new Script()];
        Assert.Equal(1, ResourceExecutor.RunEnd(group, 0, +1));
        Assert.Equal(5, ResourceExecutor.RunEnd(group, 3, +1));
        Assert.Equal(3, ResourceExecutor.RunEnd(group, 5, -1));
        Assert.Equal(0, ResourceExecutor.RunEnd(group, 1, -1));
        Assert.Equal(5, ResourceExecutor.RunEnd(group, 5, +1));
    }

    /// <summary>VIPs 10.11.0.1 up, announced on interface 2, never given up.</summary>
    private static List<AnnouncementTrain.Member> Members(int count) =>
        [.. Enumerable.Range(0, count).Select(i => new AnnouncementTrain.Member(AnnouncementFrames.For(2, [2, 0, 0, 0, 0, 1], IPAddress.Parse($"10.11.0.{i + 1}"), router: false), CancellationToken.None))];

    private static IpAddressResource Vip(string address) =>
        new(new ResourceSpec(address, "IPaddr", [address], true, new IpResourceSpec(IPAddress.Parse(address), 24, "ens18", null, null)), new ArpAnnouncement(), NullLogger.Instance);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (int i = 0; i < 1000 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }

    private sealed class Script : IManagedResource
    {
        public string Name => "script";

        public Task<ResourceOutcome> StartAsync(CancellationToken cancellation) => Task.FromResult(ResourceOutcome.Ok("started"));

        public Task<ResourceOutcome> StopAsync(CancellationToken cancellation) => Task.FromResult(ResourceOutcome.Ok("stopped"));

        public Task<bool> IsRunningAsync(CancellationToken cancellation) => Task.FromResult(false);
    }
}
