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
        int wakeUps = 0;
        var later = new TaskCompletionSource();
        var rounds = AnnouncementTrain.Start(members, new ArpAnnouncement(5), (_, frame) => sent.Add(frame), async (_, _) =>
        {
            await later.Task;
            wakeUps++;
        }, out var failures);

        // The first round went out before Start returned: every VIP's request, then every VIP's reply.
        Assert.Equal(512, sent.Count);
        Assert.Equal(members.Select(m => m.Frames.Round[0]), sent.Take(256));
        Assert.Equal(members.Select(m => m.Frames.Round[1]), sent.Skip(256));
        Assert.All(failures, Assert.Null);

        // Four more rounds, one wake-up each (not one timer per VIP and round).
        later.SetResult();
        Assert.Equal(256 * 2 * 5, await rounds);
        Assert.Equal(4, wakeUps);
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
        var rounds = AnnouncementTrain.Start([new(frames, first.Token), new(other, second.Token)], new ArpAnnouncement(5), (f, _) => sent.Add(f), async (_, cancellation) =>
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
        int sent = 0;
        var rounds = AnnouncementTrain.Start([new(gone, CancellationToken.None), new(good, CancellationToken.None)], new ArpAnnouncement(1), (f, _) =>
        {
            if (f == gone)
            {
                throw new NativeCallException("sendto", 19);
            }

            sent++;
        }, (_, _) => Task.CompletedTask, out var failures);
        Assert.IsType<NativeCallException>(failures[0]);
        Assert.Null(failures[1]);
        Assert.Equal(2, sent);
        Assert.Equal(2, await rounds);
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
