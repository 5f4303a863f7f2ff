using Heartbeat.Protocol.Fencing;
using Heartbeat.Protocol.Resources;

namespace Heartbeat.Protocol.Node;

/// <summary>
/// Fencing's place in the node: the planner decides whether a dead peer needs a reset (<see cref="FenceDecision"/>,
/// 3.0.6's need_stonith), the <see cref="Fencer"/> runs the resets through the shell, and every takeover of a dead
/// peer's groups waits in <see cref="_heldBack"/> while a reset is due or under way: 3.0.6 calls takeover_from_node only from the reset's
/// success. The planner is not told: its acquisitions are merely late, as they are when a script is slow.
/// </summary>
public sealed partial class ClusterNode
{
    /// <summary>Group starts decided while a reset was pending, in order; handed out once it succeeded.</summary>
    private readonly List<GroupRequest> _heldBack = [];

    /// <summary>The resets: their state for the status (read only; feed the node, not the fencer).</summary>
    public Fencer Fencing => _fencer;

    /// <summary>Group starts waiting for a reset to succeed.</summary>
    public int TakeoverHeldBack => _heldBack.Count;

    /// <summary>
    /// The shell's report of a <see cref="FenceRequest"/> (every request is answered): the result, how long it took,
    /// and the device's last words for the log.
    /// </summary>
    public void FenceFinished(string node, FenceResult result, TimeSpan elapsed, string? detail) =>
        _fencer.Finished(node, result, elapsed, detail, _engine.Now);

    /// <summary>The decision's notice goes out at once, where 3.0.6 sends it: before the takeover's messages.</summary>
    private void DecideFencing(FenceDecision decision)
    {
        _fencer.PeerDied(decision.Peer, decision.Needed, _planner?.Held.Count ?? 0, decision.PeerHeld, _planner?.PeerIsOurs ?? false, _engine.Now);
        SendFenceNotices();
    }

    private void SendFenceNotices()
    {
        _fencer.DrainMessages(_fenceMessages);
        foreach (var message in _fenceMessages)
        {
            _engine.SendSequenced(message);
        }

        _fenceMessages.Clear();
    }

    /// <summary>
    /// Whether a group request must wait for a reset: a takeover of a dead peer's groups does while one is pending
    /// (3.0.6 calls takeover_from_node from the reset's success). This node's own groups at start-up do not
    /// (req_our_resources runs beside the reset in 3.0.6): a peer powered off together with its fencing device
    /// (an IPMI on the same power) fails every reset, and holding those too would leave the survivor serving nothing.
    /// </summary>
    private bool HoldBack(GroupRequest request)
    {
        if (request.Action != GroupAction.Acquire || request.Cause != GroupCause.PeerDead || !_fencer.HoldsTakeover)
        {
            return false;
        }

        _heldBack.Add(request);
        return true;
    }

    /// <summary>
    /// One round's fencing output: the notices go out as cluster messages, the resets and events to the shell, and
    /// once no reset is pending any more the held back starts are handed out. Returns whether anything was produced.
    /// </summary>
    private bool DrainFencing(NodeOutputs outputs)
    {
        bool any = false;
        if (_fencer.HasOutput)
        {
            any = true;
            _fencer.Drain(outputs.FenceRequests, outputs.FencingEvents);
            SendFenceNotices();
        }

        if (_heldBack.Count > 0 && !_fencer.HoldsTakeover)
        {
            any = true;
            int released = _heldBack.Count;
            foreach (var request in _heldBack)
            {
                Request(outputs, request);
            }

            _heldBack.Clear();
            _fencer.TakeoverReleased(_peer ?? "?", released);
            _fencer.Drain(outputs.FenceRequests, outputs.FencingEvents);
        }

        return any;
    }

    /// <summary>
    /// A peer declared dead is heard again (a healed partition, a restart, a holder that resumes after a stall): a
    /// fence still waiting for it is cancelled, a running one ends as it ends (<see cref="Fencer.PeerReturned"/>), and
    /// the starts held back for its takeover are given up before the planner hears of the return, so its heal or
    /// renegotiation starts from what this node really holds. With one peer every held back start is this peer's.
    /// </summary>
    private void PeerHeardAgain(string peer)
    {
        if (!_fencer.IsPending(peer))
        {
            return;
        }

        _fencer.PeerReturned(peer, _heldBack.Count, _engine.Now);
        foreach (var request in _heldBack)
        {
            _planner?.StartWithdrawn(request.Key);
        }

        _heldBack.Clear();
    }

    /// <summary>A leave gives up the starts still waiting for a reset: they count as failed, so the planner can finish its leave.</summary>
    private void DropHeldBack()
    {
        foreach (var request in _heldBack)
        {
            _planner?.GroupStarted(request.Key, success: false);
        }

        _heldBack.Clear();
    }
}
