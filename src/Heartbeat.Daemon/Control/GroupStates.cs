using Heartbeat.Daemon.Logging;
using Heartbeat.Protocol.Node;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Control;

/// <summary>
/// What each resource group did last here, for the status: its state, why, when, and its last failure. Written and
/// read on the loop thread only (planner commands, group results, status requests).
/// </summary>
internal sealed class GroupStates(TimeProvider time, ILogger logger)
{
    /// <summary>What each group did last: state, reason, when (loop thread only).</summary>
    private readonly Dictionary<string, (string State, string? Reason, DateTimeOffset At)> _states = new(StringComparer.Ordinal);

    /// <summary>The last failed start or stop of each group here (loop thread only).</summary>
    private readonly Dictionary<string, string> _failures = new(StringComparer.Ordinal);

    public bool TryGet(string key, out (string State, string? Reason, DateTimeOffset At) state) => _states.TryGetValue(key, out state);

    public string? FailureOf(string key) => _failures.GetValueOrDefault(key);

    public void Record(string key, string state, string? reason) => _states[key] = (state, reason, time.GetUtcNow());

    /// <summary>A group action's result from the group worker.</summary>
    public void RecordResult(string key, GroupAction action, bool success, string reason)
    {
        switch (action)
        {
            case GroupAction.Acquire:
                Record(key, success ? "held" : "failed", success ? _states.GetValueOrDefault(key).Reason : $"start failed: {reason}");
                if (success)
                {
                    _failures.Remove(key);
                }
                else
                {
                    _failures[key] = $"{time.GetUtcNow():u} start failed: {reason}";
                    MembershipLog.GroupStartFailed(logger, key, reason);
                }

                break;
            case GroupAction.Release:
                Record(key, success ? "stopped" : "stop failed", success ? _states.GetValueOrDefault(key).Reason : $"stop failed: {reason}");
                if (!success)
                {
                    _failures[key] = $"{time.GetUtcNow():u} stop failed: {reason}";
                }
                break;
            case GroupAction.Announce:
                Record(key, "held", "re-announced");
                break;
        }
    }
}
