using Heartbeat.Protocol.Control;
using Heartbeat.Protocol.Fencing;

namespace Heartbeat.Daemon.Fencing;

/// <summary>The fencing part of <c>hbctl status</c>: the node's fences and the runner's device check.</summary>
internal static class FencingStatus
{
    /// <summary>Null when no device applies to this node (nothing to show).</summary>
    public static FencingReport? Report(Fencer fencer, FenceRunner runner) => fencer.Device is not { } device ? null : new FencingReport(
        device.Describe(),
        runner.DeviceStatus,
        [.. fencer.Fences.Select(f => new FenceReport(
            f.Node,
            f.Step switch { FenceStep.Waiting => "waiting", FenceStep.Running => "resetting", FenceStep.Cancelled => "cancelled (heard again)", _ => "reset" },
            f.Attempts,
            f.Delayed,
            f.LastResult is { } result ? StonithResults.Of(result) : null,
            f.LastResult is null ? null : (long)f.LastElapsed.TotalMilliseconds,
            f.LastDetail))]);
}
