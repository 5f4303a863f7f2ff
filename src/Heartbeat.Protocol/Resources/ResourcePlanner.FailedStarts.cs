namespace Heartbeat.Protocol.Resources;

/// <summary>
/// Groups whose start failed here: handed to the peer with a standby of their class, once, and not again until the
/// group has run somewhere since, so that a group failing on both nodes stays down instead of bouncing.
/// </summary>
/// <remarks>
/// 3.0.6's ResourceManager runs <c>hb_standby foreign</c> 30 s after every failed start, whatever the group's class
/// (behaviour.md §11.3), with no memory of earlier failures: each failed start asks again. Ours hands a failed group over at once, by the group's own class, and remembers it in
/// <see cref="_handedOverAfterFailure"/> until the group has run again: a start succeeding here, or a full report of a
/// peer of ours naming it among the groups it holds (<see cref="PlannerBase.HeldGroupsField"/>; 3.0.6's reports name
/// only classes, which a node claims even when the start failed). A takeover asked here and the peer's death clear it
/// too (see <see cref="RequestTakeover"/>, <see cref="PeerDied"/>).
/// </remarks>
public sealed partial class ResourcePlanner
{
    /// <summary>A start failed here: hand the group over, unless it was handed over before and has not run since.</summary>
    private void GroupStartFailed(string key)
    {
        if (_handedOverAfterFailure.Add(key))
        {
            _failedToHandOver.Add(key);
            return;
        }

        LeaveDown(key, "its start failed here after it was handed to the peer for a failed start, and it has not run on either node since: "
            + "not handed over again (it would bounce); it stays down until a takeover is asked, the peer dies, or it runs on the peer");
    }

    /// <summary>A full report of a peer of ours names the groups it holds: those have run since they failed here.</summary>
    private void PeerHoldsGroups(string? keys)
    {
        if (keys is null || _handedOverAfterFailure.Count == 0)
        {
            return;
        }

        foreach (var key in keys.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            _handedOverAfterFailure.Remove(key);
        }
    }

    /// <summary>Hands the groups whose start failed to a live peer (see <see cref="GroupStartFailed"/>).</summary>
    private void HandOverFailedGroups()
    {
        // The peer must have said it is stable too: a peer just restarted ignores a standby request until then (3.0.6's
        // "me" is only answered in the stable state), and the request would be cancelled with the group held by nobody.
        if (_failedToHandOver.Count == 0 || State != PlannerState.Stable || _deadPeers.Count > 0 || !_peerAlive || !_peerSaidStable || InTransition || Healing)
        {
            return;
        }

        var set = HoldSet.None;
        foreach (var group in Resources.Groups.Where(g => _failedToHandOver.Contains(g.Key)))
        {
            set |= IsLocal(group) ? HoldSet.Local : HoldSet.Foreign;
        }

        _failedToHandOver.Clear();
        if (set != HoldSet.None)
        {
            RequestStandby(set);
        }
    }
}
