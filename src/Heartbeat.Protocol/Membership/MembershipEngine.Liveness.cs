namespace Heartbeat.Protocol.Membership;

// The failure detector per node and per link: status windows, late heartbeats, and the stall guard.
public sealed partial class MembershipEngine
{
    private TimeSpan ObserveInput()
    {
        var now = Now;
        var paused = now - _lastInput;

        // A stall is lateness, not quiet: the loop is asked to call us by NextDeadline (never later than the next
        // keepalive), so being called far past it means our own process did not run (SIGSTOP, a frozen VM, swap). A
        // long gap between inputs alone proves nothing now that an idle daemon wakes only for its deadlines.
        if (_started && now - NextDeadline > _options.StallThreshold)
        {
            // What looks like the peers' silence is ours. Everybody gets a fresh window.
            Counters.CountLocalStall();
            _events.Add(new LocalStall(paused, paused > _options.Deadtime));
            foreach (var peer in _peers.Values)
            {
                peer.WindowStart = now;
                peer.PreviousStatusForWarning = null;
                foreach (var link in peer.Links.Values)
                {
                    link.LastHeard = now;
                }
            }
        }

        _lastInput = now;
        return now;
    }

    private void HandleStatus(PeerNode peer, in Envelope message, ulong seq, TimeSpan now)
    {
        string status = message.Status ?? NodeStatus.Up;
        var window = CurrentWindow(peer);
        if (peer.PreviousStatusForWarning is { } previous)
        {
            var interval = now - previous;
            Counters.HeartbeatIntervals.Observe(interval);
            if (interval > _options.Warntime)
            {
                bool beyond = interval > window;
                peer.LateHeartbeats++;
                if (interval > peer.WorstInterval)
                {
                    peer.WorstInterval = interval;
                }

                Counters.CountLateHeartbeat((long)interval.TotalMilliseconds);
                _events.Add(new LateHeartbeat(peer.Name, interval, beyond));
            }
        }

        if (peer.IsDead && peer.LastStatusSeq != 0)
        {
            _events.Add(new NodeReturnedAfterPartition(peer.Name, peer.Generation));
        }

        peer.PreviousStatusForWarning = now;
        peer.LastStatusAt = now;
        peer.WindowStart = now;
        peer.LastStatusSeq = seq;
        if (message.DeadtimeMs is var dtMs and > 0)
        {
            // The receiver uses the sender's advertised deadtime, not its own (wire-format.md §6.1).
            peer.AdvertisedDeadtime = TimeSpan.FromMilliseconds(dtMs);
        }

        if (FlowControl && !message.HasProtocol)
        {
            // A single status without 'protocol' switches flow control off for good, as on 3.0.6.
            FlowControl = false;
            _events.Add(new FlowControlDisabled(peer.Name));
        }

        if (peer.Status != status)
        {
            _events.Add(new NodeStatusChanged(peer.Name, peer.Status, status));
            peer.Status = status;
        }
    }

    private void CheckLiveness(TimeSpan now)
    {
        foreach (var peer in _peers.Values)
        {
            var window = CurrentWindow(peer);
            foreach (var link in peer.Links.Values)
            {
                if (link.Up && now - link.LastHeard > window)
                {
                    link.Up = false;
                    _events.Add(new LinkChanged(peer.Name, link.Interface, Up: false));
                }
            }

            if (peer.IsDead)
            {
                continue;
            }

            // Strictly greater, as 3.0.6 tests it.
            var silence = now - peer.WindowStart;
            if (silence > window)
            {
                _events.Add(new NodeDead(peer.Name, now - (peer.LastStatusAt ?? TimeSpan.Zero), window, peer.LastStatusAt is null));
                _events.Add(new NodeStatusChanged(peer.Name, peer.Status, NodeStatus.Dead));
                peer.Status = NodeStatus.Dead;

                // Nothing more will be asked of a dead node; a gap left open would also stop our ACKs to it for good
                // once it returns (ACKs confirm only a contiguous stream), filling up its history queue.
                peer.PendingRetransmits.Clear();
                peer.Sequence.ForgetMissing();
            }
        }
    }

    /// <summary>Before communication is up, initdead applies to every node; after it, each node's advertised deadtime.</summary>
    private TimeSpan CurrentWindow(PeerNode peer) => CommunicationUp ? peer.AdvertisedDeadtime : _options.Initdead;

    private void TouchLink(PeerNode peer, string iface, TimeSpan now)
    {
        if (!peer.Links.TryGetValue(iface, out var link))
        {
            link = new LinkState(iface);
            peer.Links[iface] = link;
        }

        link.LastHeard = now;
        if (!link.Up)
        {
            link.Up = true;
            _events.Add(new LinkChanged(peer.Name, iface, Up: true));
        }
    }
}
