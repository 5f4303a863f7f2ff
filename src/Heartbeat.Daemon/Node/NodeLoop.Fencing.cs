using Heartbeat.Daemon.Fencing;
using Heartbeat.Protocol.Fencing;
using Heartbeat.Protocol.Node;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Node;

/// <summary>
/// Carrying out the node's fencing (loop thread only): its resets go to the <see cref="FenceRunner"/>, their outcomes
/// back to the node, its fencing events into the log. When to reset, when to retry and when to take over are the
/// node's decisions.
/// </summary>
public sealed partial class NodeLoop
{
    /// <summary>The device check at start (3.0.6 Initiate_Reset without a node), when a device applies to this node.</summary>
    private void CheckStonithDevice(ClusterNode node)
    {
        if (node.Fencing.Device is { } device)
        {
            _fences.CheckDevice(device, node.Fencing.Options.AttemptTimeout);
        }
    }

    /// <summary>The pump's resets started (before anything is sent: a reset is what a takeover waits for), its fencing events logged.</summary>
    private void StartFences(NodeOutputs outputs)
    {
        var requests = outputs.FenceRequests;
        for (int i = 0; i < requests.Count; i++)
        {
            FencingLog.Resetting(_logger, requests[i].Node, requests[i].Device.Describe(), requests[i].Attempt);
            _fences.Reset(requests[i]);
        }
    }

    private void LogFencing(NodeOutputs outputs)
    {
        var events = outputs.FencingEvents;
        for (int i = 0; i < events.Count; i++)
        {
            _summaryStale = true;
            switch (events[i])
            {
                case FenceUnneeded e:
                    FencingLog.Unneeded(_logger, e.Node);
                    break;
                case FenceNotConfigured e:
                    FencingLog.NotConfigured(_logger, e.Node);
                    break;
                case FenceDelayed e:
                    FencingLog.Delayed(_logger, e.Node, (long)e.Delay.TotalMilliseconds, e.HeldThere, e.HeldHere, e.YieldedTo306
                        ? "this node ranks first, but the peer is Heartbeat 3.0.6 (or was never heard), which resets at once: this node yields so that exactly one node is fenced (the peer's reset of this node lands first and the peer holds the groups; if it fails, this node resets the peer after the delay)"
                        : e.PeerIsHeartbeat306
                        ? "the holder resets first, so only one node is fenced; the peer is Heartbeat 3.0.6, which resets at once: if its reset of this node lands first, it holds the groups"
                        : "the holder resets first, so only one node is fenced");
                    break;
                case FenceAttemptEnded { Result: FenceResult.Ok } e:
                    FencingLog.Attempt(_logger, LogLevel.Information, $"node {e.Node} now reset.", e.Node, e.Attempt, StonithResults.Ok, (long)e.Elapsed.TotalMilliseconds, string.Empty);
                    break;
                case FenceAttemptEnded { RetryIn: null } e:
                    FencingLog.Attempt(_logger, LogLevel.Error, $"Host {e.Node} not reset! Not retried: {e.Node} is heard again.", e.Node, e.Attempt, StonithResults.Of(e.Result), (long)e.Elapsed.TotalMilliseconds, $"; {e.Detail ?? "no message"}");
                    break;
                case FenceCancelled e:
                    FencingLog.Cancelled(_logger, e.Node, (long)e.Remaining.TotalMilliseconds, e.InContenderDelay ? "contender delay" : $"wait before attempt {e.Attempts + 1}", e.Withdrawn);
                    break;
                case FenceNotRecalled e:
                    FencingLog.NotRecalled(_logger, e.Node, e.Attempt, e.Withdrawn);
                    break;
                case FenceAttemptEnded e:
                    FencingLog.Attempt(_logger, LogLevel.Error, $"Host {e.Node} not reset! STONITH of {e.Node} failed.  Retrying in {(e.RetryIn ?? TimeSpan.Zero).TotalSeconds:0.#} s...", e.Node, e.Attempt, StonithResults.Of(e.Result), (long)e.Elapsed.TotalMilliseconds, $"; {e.Detail ?? "no message"}");
                    break;
                case FenceReleasedTakeover e:
                    FencingLog.TakeoverReleased(_logger, e.Node, e.Released);
                    break;
                case FenceReported e:
                    FencingLog.PeerReported(_logger, e.From, e.Node, e.Result);
                    break;
            }
        }
    }

    /// <summary>The finished resets, reported to the node.</summary>
    private void TakeFenceResults(ClusterNode node)
    {
        while (_fences.TryTake(out var done))
        {
            _summaryStale = true;
            node.FenceFinished(done.Request.Node, done.Result, done.Elapsed, done.Detail);
        }
    }
}
