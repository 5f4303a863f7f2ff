using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Wire;
using static Heartbeat.Protocol.Timing.Deadlines;

namespace Heartbeat.Protocol.Fencing;

/// <summary>
/// 3.0.6's STONITH rules (hb_resource.c: hb_rsc_recover_dead_resources, Initiate_Reset, StonithProcessDied) as a pure
/// state machine on the node's clock, plus the delay that avoids a fencing duel. For each dead peer that needs a reset:
/// one attempt at a time with a timeout, a retry 5 s after each failure, for as long as it takes; the takeover is held
/// back (<see cref="HoldsTakeover"/>) until an attempt succeeded. After every attempt the <c>t=stonith</c> notice goes
/// out with the result, as 3.0.6's reset child sends it. No I/O: the shell runs the <see cref="FenceRequest"/>s.
/// </summary>
public sealed class Fencer
{
    private readonly FencingOptions _options;
    private readonly string _localName;
    private readonly Dictionary<string, Fence> _fences = new(StringComparer.Ordinal);
    private readonly List<FenceRequest> _requests = [];
    private readonly List<FencingEvent> _events = [];
    private readonly List<HaMessage> _messages = [];
    private readonly long[] _attemptsEnded = new long[Enum.GetValues<FenceResult>().Length];

    public Fencer(StonithDevice? device, FencingOptions options, string localName)
    {
        Device = device;
        _options = options;
        _localName = localName;
    }

    /// <summary>The device this node resets others with (the last stonith/stonith_host line applying to it), or null.</summary>
    public StonithDevice? Device { get; }

    public FencingOptions Options => _options;

    /// <summary>Reset attempts that ended with this result since start (for the metrics; a plain count, no allocation).</summary>
    public long AttemptsEnded(FenceResult result) => _attemptsEnded[(int)result];

    /// <summary>Summed duration of every ended attempt since start.</summary>
    public TimeSpan AttemptTime { get; private set; }

    /// <summary>Resets called off because their peer was heard again before they began (see <see cref="PeerReturned"/>).</summary>
    public long Cancelled { get; private set; }

    /// <summary>Whether a reset is under way or due: while it is, no group may be started.</summary>
    public bool HoldsTakeover
    {
        get
        {
            foreach (var fence in _fences.Values)
            {
                if (fence.Step is FenceStep.Waiting or FenceStep.Running)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Whether a reset of <paramref name="peer"/> is due or under way.</summary>
    public bool IsPending(string peer) => _fences.TryGetValue(peer, out var fence) && fence.Step is FenceStep.Waiting or FenceStep.Running;

    /// <summary>When <see cref="Tick"/> has an attempt to start; <see cref="TimeSpan.MaxValue"/> when none.</summary>
    public TimeSpan NextDeadline
    {
        get
        {
            var next = TimeSpan.MaxValue;
            foreach (var fence in _fences.Values)
            {
                if (fence.Step == FenceStep.Waiting)
                {
                    next = Earlier(next, fence.DueAt);
                }
            }

            return next;
        }
    }

    /// <summary>Every fence since start, for the status: its step, attempts and last result.</summary>
    public IReadOnlyCollection<Fence> Fences => _fences.Values;

    /// <summary>
    /// A peer was declared dead (<paramref name="needed"/>: 3.0.6's need_stonith). Unneeded: the notice, no reset.
    /// Needed without a device: n_stnth and the takeover goes ahead unprotected, as 3.0.6. Needed with a device: a
    /// reset now if this node ranks first (it holds more groups than the peer did, or as many and its name sorts
    /// first) and the peer is one of ours, else after the contender delay. A 3.0.6 peer (or one never heard from, whose
    /// kind is unknown) resets at once whatever it holds, so when only the links are cut a holder of ours that reset at
    /// once too would race it, and both resets can land: no node left. Ours yields instead: the 3.0.6 node's reset lands
    /// within the delay and it is the one survivor and holder; if its reset fails, ours resets it once the delay is over.
    /// </summary>
    public void PeerDied(string peer, bool needed, int heldHere, int heldThere, bool peerIsOurs, TimeSpan now)
    {
        if (!needed)
        {
            _events.Add(new FenceUnneeded(peer));
            Notice(peer, StonithResults.Unneeded);
            return;
        }

        if (Device is null)
        {
            _events.Add(new FenceNotConfigured(peer));
            Notice(peer, StonithResults.NotConfigured);
            return;
        }

        if (IsPending(peer))
        {
            return; // already resetting it: one reset at a time per node
        }

        bool ranksFirst = heldHere > heldThere || (heldHere == heldThere && string.CompareOrdinal(_localName, peer) < 0);
        bool first = ranksFirst && peerIsOurs;
        var fence = new Fence(peer) { Step = FenceStep.Waiting, DueAt = now };
        _fences[peer] = fence;
        if (!first && _options.ContenderDelay > TimeSpan.Zero)
        {
            fence.DueAt = now + _options.ContenderDelay;
            fence.Delayed = true;
            _events.Add(new FenceDelayed(peer, _options.ContenderDelay, heldHere, heldThere, !peerIsOurs, YieldedTo306: ranksFirst));
            return;
        }

        Begin(fence, now);
    }

    /// <summary>Starts the attempts that are due (after the contender delay or a failure's 5 s).</summary>
    public void Tick(TimeSpan now)
    {
        foreach (var fence in _fences.Values)
        {
            if (fence.Step == FenceStep.Waiting && now >= fence.DueAt)
            {
                Begin(fence, now);
            }
        }
    }

    /// <summary>
    /// A peer whose fence is pending was heard again (membership: it returned after a partition, or restarted), and
    /// <paramref name="withdrawn"/> group starts held back for it are given up. A fence still waiting (the contender
    /// delay, or the 5 s before a retry) is cancelled: the peer talks again, so the protocol settles who holds what, and
    /// a reset now would only power off a node that may be the holder. 3.0.6 has no delay and keeps retrying a failed
    /// reset of a node that came back (its retry timer is never stopped; a healed partition restarts heartbeat
    /// instead): we stop, because the reason to fence (a node we cannot hear may run the groups) is gone. A running
    /// attempt cannot be recalled: it ends as it ends; a failure is then not retried.
    /// </summary>
    public void PeerReturned(string peer, int withdrawn, TimeSpan now)
    {
        if (!_fences.TryGetValue(peer, out var fence))
        {
            return;
        }

        switch (fence.Step)
        {
            case FenceStep.Waiting:
                fence.Step = FenceStep.Cancelled;
                fence.HeardAgainAt = now;
                Cancelled++;
                _events.Add(new FenceCancelled(peer, InContenderDelay: fence.Attempts == 0, fence.Attempts, fence.DueAt - now, withdrawn));
                break;
            case FenceStep.Running:
                fence.HeardAgainAt = now;
                _events.Add(new FenceNotRecalled(peer, fence.Attempts, withdrawn));
                break;
        }
    }

    /// <summary>
    /// The shell's report of an attempt. Success ends the fence (the takeover may go ahead); a failure schedules the
    /// next attempt 5 s later (3.0.6: "STONITH of X failed.  Retrying..."), unless the peer was heard again while the
    /// attempt ran (<see cref="PeerReturned"/>): then the fence ends cancelled. A report for no running attempt is ignored.
    /// </summary>
    public void Finished(string peer, FenceResult result, TimeSpan elapsed, string? detail, TimeSpan now)
    {
        if (!_fences.TryGetValue(peer, out var fence) || fence.Step != FenceStep.Running)
        {
            return;
        }

        fence.LastResult = result;
        fence.LastElapsed = elapsed;
        _attemptsEnded[(int)result]++;
        AttemptTime += elapsed;
        fence.LastDetail = detail;
        Notice(peer, StonithResults.Of(result));
        if (result == FenceResult.Ok)
        {
            fence.Step = FenceStep.Done;
            fence.DoneAt = now;
            _events.Add(new FenceAttemptEnded(peer, fence.Attempts, result, elapsed, detail, null));
            return;
        }

        if (fence.HeardAgainAt is not null)
        {
            fence.Step = FenceStep.Cancelled;
            Cancelled++;
            _events.Add(new FenceAttemptEnded(peer, fence.Attempts, result, elapsed, detail, null));
            return;
        }

        fence.Step = FenceStep.Waiting;
        fence.DueAt = now + _options.RetryInterval;
        _events.Add(new FenceAttemptEnded(peer, fence.Attempts, result, elapsed, detail, _options.RetryInterval));
    }

    /// <summary>A peer's <c>t=stonith</c> notice: logged (3.0.6 acts on none of them; they are for its API clients).</summary>
    public void Reported(string from, HaMessage message)
    {
        if (message.GetString(Resources.ResourceFields.Node) is { } node)
        {
            _events.Add(new FenceReported(node, from, message.GetString(Resources.ResourceFields.Result) ?? "?"));
        }
    }

    /// <summary>The takeover held back for <paramref name="peer"/> went ahead with this many group starts.</summary>
    public void TakeoverReleased(string peer, int released) => _events.Add(new FenceReleasedTakeover(peer, released));

    /// <summary>Moves the resets and events decided since the last drain into the caller's lists.</summary>
    public void Drain(List<FenceRequest> requests, List<FencingEvent> events)
    {
        requests.AddRange(_requests);
        events.AddRange(_events);
        _requests.Clear();
        _events.Clear();
    }

    /// <summary>Moves the <c>t=stonith</c> notices into <paramref name="messages"/>, to send in that order.</summary>
    public void DrainMessages(List<HaMessage> messages)
    {
        messages.AddRange(_messages);
        _messages.Clear();
    }

    /// <summary>Whether anything waits for <see cref="Drain"/>.</summary>
    public bool HasOutput => _requests.Count > 0 || _events.Count > 0 || _messages.Count > 0;

    private void Begin(Fence fence, TimeSpan now)
    {
        fence.Step = FenceStep.Running;
        fence.Attempts++;
        fence.StartedAt ??= now;
        _requests.Add(new FenceRequest(fence.Node, fence.Attempts, Device!, _options.AttemptTimeout));
        _events.Add(new FenceStarted(fence.Node, fence.Attempts, Device!));
    }

    /// <summary>3.0.6's send_stonith_msg: t=stonith, node, result.</summary>
    private void Notice(string peer, string result) =>
        _messages.Add(new HaMessage([
            HaField.String(WireFields.Type, Resources.ResourceMessages.Stonith),
            HaField.String(Resources.ResourceFields.Node, peer),
            HaField.String(Resources.ResourceFields.Result, result)]));
}

/// <summary>Where one node's fence is.</summary>
public enum FenceStep
{
    /// <summary>Waiting for the contender delay or the retry interval.</summary>
    Waiting,

    /// <summary>An attempt is with the shell.</summary>
    Running,

    /// <summary>The node was reset.</summary>
    Done,

    /// <summary>Called off: the peer was heard again before an attempt began, or while one ran that then failed.</summary>
    Cancelled,
}

/// <summary>One dead node's fence (mutable; read by the status).</summary>
public sealed class Fence(string node)
{
    public string Node { get; } = node;

    public FenceStep Step { get; internal set; }

    public int Attempts { get; internal set; }

    /// <summary>When the next attempt starts (while <see cref="FenceStep.Waiting"/>).</summary>
    public TimeSpan DueAt { get; internal set; }

    /// <summary>Whether this node waited the contender delay first.</summary>
    public bool Delayed { get; internal set; }

    public TimeSpan? StartedAt { get; internal set; }

    public TimeSpan? DoneAt { get; internal set; }

    /// <summary>When the peer was heard again while this fence was pending (it was then cancelled, or its attempt ran on).</summary>
    public TimeSpan? HeardAgainAt { get; internal set; }

    public FenceResult? LastResult { get; internal set; }

    public TimeSpan LastElapsed { get; internal set; }

    public string? LastDetail { get; internal set; }
}
