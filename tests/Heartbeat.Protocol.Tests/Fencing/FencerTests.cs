using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Fencing;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Tests.Fencing;

/// <summary>3.0.6's reset rules and the contender delay, on a clock the test moves by hand.</summary>
public class FencerTests
{
    private static readonly StonithDevice Device = new("*", "external/test", "hostlist=a", null, 7);
    private static readonly FencingOptions Options = new(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10));

    private readonly List<FenceRequest> _requests = [];
    private readonly List<FencingEvent> _events = [];
    private readonly List<HaMessage> _messages = [];

    [Fact]
    public void A_peer_that_had_let_go_needs_no_reset_and_gets_unneeded()
    {
        var fencer = new Fencer(Device, Options, "server2");
        fencer.PeerDied("server1", needed: false, 2, 0, peerIsOurs: true, TimeSpan.Zero);
        Drain(fencer);
        Assert.Empty(_requests);
        Assert.False(fencer.HoldsTakeover);
        Assert.Equal(["stonith server1 unneeded"], Notices());
        Assert.IsType<FenceUnneeded>(Assert.Single(_events));
    }

    [Fact]
    public void Without_a_device_a_needed_reset_is_reported_as_n_stnth_and_the_takeover_is_not_held()
    {
        var fencer = new Fencer(null, Options, "server2");
        fencer.PeerDied("server1", needed: true, 0, 2, peerIsOurs: true, TimeSpan.Zero);
        Drain(fencer);
        Assert.Empty(_requests);
        Assert.False(fencer.HoldsTakeover);
        Assert.Equal(["stonith server1 n_stnth"], Notices());
        Assert.IsType<FenceNotConfigured>(Assert.Single(_events));
    }

    [Fact]
    public void The_holder_resets_at_once_and_holds_the_takeover_until_success()
    {
        var fencer = new Fencer(Device, Options, "server2");
        fencer.PeerDied("server1", needed: true, heldHere: 2, heldThere: 0, peerIsOurs: true, TimeSpan.FromSeconds(3));
        Drain(fencer);
        Assert.Equal(new FenceRequest("server1", 1, Device, TimeSpan.FromSeconds(20)), Assert.Single(_requests));
        Assert.True(fencer.HoldsTakeover);
        Assert.Empty(Notices()); // the notice follows the attempt, as 3.0.6's reset child sends it

        fencer.Finished("server1", FenceResult.Ok, TimeSpan.FromMilliseconds(700), null, TimeSpan.FromSeconds(4));
        Drain(fencer);
        Assert.False(fencer.HoldsTakeover);
        Assert.Equal(["stonith server1 OK"], Notices());
        Assert.Equal(TimeSpan.MaxValue, fencer.NextDeadline);
        var fence = Assert.Single(fencer.Fences);
        Assert.Equal((FenceStep.Done, 1, FenceResult.Ok, false), (fence.Step, fence.Attempts, fence.LastResult, fence.Delayed));
    }

    [Fact]
    public void The_node_without_the_groups_waits_the_contender_delay_before_its_reset()
    {
        var fencer = new Fencer(Device, Options, "server1");
        var died = TimeSpan.FromSeconds(30);
        fencer.PeerDied("server2", needed: true, heldHere: 0, heldThere: 2, peerIsOurs: false, died);
        Drain(fencer);
        Assert.Empty(_requests);
        Assert.True(fencer.HoldsTakeover);
        Assert.Equal(new FenceDelayed("server2", TimeSpan.FromSeconds(10), 0, 2, PeerIsHeartbeat306: true), Assert.Single(_events));
        Assert.Equal(died + TimeSpan.FromSeconds(10), fencer.NextDeadline);

        fencer.Tick(died + TimeSpan.FromSeconds(9.9));
        Drain(fencer);
        Assert.Empty(_requests);
        fencer.Tick(died + TimeSpan.FromSeconds(10));
        Drain(fencer);
        Assert.Equal(1, Assert.Single(_requests).Attempt);
    }

    [Fact]
    public void The_holder_yields_to_a_306_peer_which_resets_at_once_and_resets_it_only_after_the_delay()
    {
        var fencer = new Fencer(Device, Options, "server2");
        fencer.PeerDied("server1", needed: true, heldHere: 2, heldThere: 0, peerIsOurs: false, TimeSpan.Zero);
        Drain(fencer);
        Assert.Empty(_requests);
        Assert.Equal(new FenceDelayed("server1", TimeSpan.FromSeconds(10), 2, 0, PeerIsHeartbeat306: true, YieldedTo306: true), Assert.Single(_events));
        Assert.True(fencer.HoldsTakeover);
        fencer.Tick(TimeSpan.FromSeconds(10));
        Drain(fencer);
        Assert.Equal(1, Assert.Single(_requests).Attempt);
    }

    [Theory]
    [InlineData("server1", "server2", true)]
    [InlineData("server2", "server1", false)]
    public void A_tie_in_groups_held_goes_to_the_name_that_sorts_first(string local, string peer, bool atOnce)
    {
        var fencer = new Fencer(Device, Options, local);
        fencer.PeerDied(peer, needed: true, heldHere: 1, heldThere: 1, peerIsOurs: true, TimeSpan.Zero);
        Drain(fencer);
        Assert.Equal(atOnce ? 1 : 0, _requests.Count);
    }

    [Theory]
    [InlineData(FenceResult.Bad, "bad")]
    [InlineData(FenceResult.BadHost, "badhost")]
    public void A_failed_reset_is_retried_every_5_s_and_the_takeover_stays_held(FenceResult failure, string result)
    {
        var fencer = new Fencer(Device, Options, "server2");
        fencer.PeerDied("server1", needed: true, 2, 0, peerIsOurs: true, TimeSpan.Zero);
        var now = TimeSpan.Zero;
        for (int attempt = 1; attempt <= 3; attempt++)
        {
            Drain(fencer);
            Assert.Equal(attempt, Assert.Single(_requests).Attempt);
            now += TimeSpan.FromSeconds(1);
            fencer.Finished("server1", failure, TimeSpan.FromSeconds(1), "device said no", now);
            Drain(fencer);
            Assert.Empty(_requests);
            Assert.True(fencer.HoldsTakeover);
            Assert.Equal([$"stonith server1 {result}"], Notices());
            Assert.Contains(new FenceAttemptEnded("server1", attempt, failure, TimeSpan.FromSeconds(1), "device said no", TimeSpan.FromSeconds(5)), _events);
            Assert.Equal(now + TimeSpan.FromSeconds(5), fencer.NextDeadline);
            fencer.Tick(now + TimeSpan.FromSeconds(4.99));
            Drain(fencer);
            Assert.Empty(_requests);
            now += TimeSpan.FromSeconds(5);
            fencer.Tick(now);
        }

        // The metrics' counts: three failures of this kind, none of the others, and their summed time.
        Assert.Equal(3, fencer.AttemptsEnded(failure));
        Assert.Equal(0, fencer.AttemptsEnded(FenceResult.Ok));
        Assert.Equal(TimeSpan.FromSeconds(3), fencer.AttemptTime);
    }

    [Fact]
    public void A_second_death_of_a_node_being_reset_starts_no_second_reset_and_a_stray_report_is_ignored()
    {
        var fencer = new Fencer(Device, Options, "server2");
        fencer.Finished("server1", FenceResult.Ok, TimeSpan.Zero, null, TimeSpan.Zero);
        fencer.PeerDied("server1", needed: true, 2, 0, peerIsOurs: true, TimeSpan.Zero);
        fencer.PeerDied("server1", needed: true, 2, 0, peerIsOurs: true, TimeSpan.Zero);
        Drain(fencer);
        Assert.Single(_requests);
        Assert.Empty(Notices());
        Assert.Equal(0, fencer.AttemptsEnded(FenceResult.Ok));
    }

    [Fact]
    public void A_peer_heard_again_during_the_contender_delay_is_not_reset_and_a_later_death_fences_anew()
    {
        var fencer = new Fencer(Device, Options, "server1");
        fencer.PeerDied("server2", needed: true, heldHere: 0, heldThere: 2, peerIsOurs: true, TimeSpan.FromSeconds(30));
        fencer.PeerReturned("server2", withdrawn: 2, TimeSpan.FromSeconds(34));
        Drain(fencer);
        Assert.Empty(_requests);
        Assert.Contains(new FenceCancelled("server2", InContenderDelay: true, 0, TimeSpan.FromSeconds(6), 2), _events);
        Assert.False(fencer.HoldsTakeover);
        Assert.False(fencer.IsPending("server2"));
        Assert.Equal(TimeSpan.MaxValue, fencer.NextDeadline);
        Assert.Equal(1, fencer.Cancelled);
        var fence = Assert.Single(fencer.Fences);
        Assert.Equal((FenceStep.Cancelled, 0, TimeSpan.FromSeconds(34)), (fence.Step, fence.Attempts, fence.HeardAgainAt));

        // No attempt comes when the delay would have ended, and nothing goes on the wire (no attempt, no notice).
        fencer.Tick(TimeSpan.FromSeconds(41));
        Drain(fencer);
        Assert.Empty(_requests);
        Assert.Empty(Notices());

        // Declared dead again later: a new fence, with its own delay.
        fencer.PeerDied("server2", needed: true, 0, 2, peerIsOurs: true, TimeSpan.FromSeconds(60));
        Drain(fencer);
        Assert.True(fencer.HoldsTakeover);
        Assert.Equal(TimeSpan.FromSeconds(70), fencer.NextDeadline);
    }

    [Fact]
    public void A_peer_heard_again_while_waiting_to_retry_is_not_reset_again()
    {
        var fencer = new Fencer(Device, Options, "server2");
        fencer.PeerDied("server1", needed: true, 2, 0, peerIsOurs: true, TimeSpan.Zero);
        fencer.Finished("server1", FenceResult.Bad, TimeSpan.FromSeconds(1), "no", TimeSpan.FromSeconds(1));
        fencer.PeerReturned("server1", withdrawn: 0, TimeSpan.FromSeconds(2));
        Drain(fencer);
        Assert.Contains(new FenceCancelled("server1", InContenderDelay: false, 1, TimeSpan.FromSeconds(4), 0), _events);
        fencer.Tick(TimeSpan.FromSeconds(10));
        Drain(fencer);
        Assert.Empty(_requests);
        Assert.False(fencer.HoldsTakeover);
    }

    [Theory]
    [InlineData(FenceResult.Ok, FenceStep.Done, "OK")]
    [InlineData(FenceResult.Bad, FenceStep.Cancelled, "bad")]
    public void A_running_attempt_is_not_recalled_when_the_peer_is_heard_again_and_a_failure_is_not_retried(FenceResult result, FenceStep step, string notice)
    {
        var fencer = new Fencer(Device, Options, "server2");
        fencer.PeerDied("server1", needed: true, 2, 0, peerIsOurs: true, TimeSpan.Zero);
        fencer.PeerReturned("server1", withdrawn: 1, TimeSpan.FromSeconds(1));
        Drain(fencer);
        Assert.Equal(new FenceNotRecalled("server1", 1, 1), _events[^1]);
        Assert.True(fencer.HoldsTakeover); // it runs on: a second death meanwhile waits for it

        fencer.Finished("server1", result, TimeSpan.FromSeconds(2), null, TimeSpan.FromSeconds(2));
        Drain(fencer);
        Assert.Equal([$"stonith server1 {notice}"], Notices()); // the attempt happened: its notice goes out as always
        Assert.Contains(new FenceAttemptEnded("server1", 1, result, TimeSpan.FromSeconds(2), null, null), _events);
        Assert.Equal(step, Assert.Single(fencer.Fences).Step);
        fencer.Tick(TimeSpan.FromSeconds(10));
        Drain(fencer);
        Assert.Empty(_requests);
        Assert.False(fencer.HoldsTakeover);
    }

    [Fact]
    public void A_peer_heard_again_with_no_fence_pending_changes_nothing()
    {
        var fencer = new Fencer(Device, Options, "server2");
        fencer.PeerReturned("server1", withdrawn: 0, TimeSpan.Zero);
        fencer.PeerDied("server1", needed: true, 2, 0, peerIsOurs: true, TimeSpan.Zero);
        fencer.Finished("server1", FenceResult.Ok, TimeSpan.FromSeconds(1), null, TimeSpan.FromSeconds(1));
        Drain(fencer);
        fencer.PeerReturned("server1", withdrawn: 0, TimeSpan.FromSeconds(2));
        Drain(fencer);
        Assert.Empty(_events);
        Assert.Equal(FenceStep.Done, Assert.Single(fencer.Fences).Step);
        Assert.Equal(0, fencer.Cancelled);
    }

    [Fact]
    public void A_peers_notice_is_logged_as_reported()
    {
        var fencer = new Fencer(Device, Options, "server2");
        fencer.Reported("server1", new HaMessage([HaField.String("t", "stonith"), HaField.String("node", "server3"), HaField.String("result", "OK")]));
        Drain(fencer);
        Assert.Equal(new FenceReported("server3", "server1", "OK"), Assert.Single(_events));
    }

    [Fact]
    public void The_device_of_a_node_is_the_last_line_for_it_or_for_every_node()
    {
        StonithDevice all = new("*", "meatware", "", null, 1), mine = new("server2", "external/ssh", "hostlist=server1", null, 2),
            theirs = new("server1", "external/ssh", "hostlist=server2", null, 3), file = new(null, "external/ipmi", null, "/etc/ha.d/ipmi.cfg", 4);
        Assert.Same(mine, StonithDevice.ForNode([all, mine, theirs], "server2"));
        Assert.Same(all, StonithDevice.ForNode([all, mine, theirs], "server3"));
        Assert.Same(file, StonithDevice.ForNode([mine, file], "server2"));
        Assert.Null(StonithDevice.ForNode([theirs], "server2"));
    }

    private void Drain(Fencer fencer)
    {
        _requests.Clear();
        _events.Clear();
        _messages.Clear();
        fencer.Drain(_requests, _events);
        fencer.DrainMessages(_messages);
    }

    private List<string> Notices() => [.. _messages.Select(m => $"{m.Type} {m.GetString("node")} {m.GetString("result")}")];
}
