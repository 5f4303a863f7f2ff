using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Resources;

/// <summary>
/// <c>auto_failback legacy</c> — 3.0.6's default when ha.cf says nothing, and the article's setup (behaviour.md §3.2):
/// no <c>starting</c>/<c>resource</c> reports. At comm up a node takes each of its own groups: at once with a
/// self-addressed <c>ip-request-resp weown=yes</c> when no other node is active yet, otherwise it asks with
/// <c>ip-request ipaddr=KEY</c>; the peer gives the group up first if it holds it and answers
/// <c>ip-request-resp dest=… ipaddr=KEY weown=yes|no ok=OK</c>, and the requester takes it. So legacy always fails
/// back. A dead or departed peer's groups are taken (mach_down), a leaving node stops all its groups before shutdone.
/// </summary>
public sealed class LegacyResourcePlanner(string local, HaResources resources) : IResourcePlanner
{
    private readonly List<PlannerCommand> _commands = [];
    private readonly HashSet<string> _held = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);
    private readonly HashSet<string> _departed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _answerAfterRelease = new(StringComparer.Ordinal);

    public PlannerState State { get; private set; } = PlannerState.Init;

    public IReadOnlyCollection<string> Held => _held;

    /// <summary>3.0.6 does not track holdings in legacy mode: <c>rscstatus</c> always says none.</summary>
    public HoldSet Holding => HoldSet.None;

    public bool InTransition => _pending.Count > 0;

    public IReadOnlyList<PlannerCommand> Drain()
    {
        var result = _commands.ToArray();
        _commands.Clear();
        return result;
    }

    public void CommunicationUp(IReadOnlyCollection<string> deadPeers, bool anyPeerAlive)
    {
        if (State != PlannerState.Init)
        {
            return;
        }

        State = PlannerState.Stable;
        foreach (string peer in deadPeers)
        {
            PeerDied(peer);
        }

        foreach (var group in resources.Groups.Where(IsLocal))
        {
            if (!anyPeerAlive)
            {
                // Alone: grant it to ourselves, as req_resource does (the message is addressed to us; peers ignore it).
                Send(Grant(local, group.Key, weOwn: true));
                Acquire(group.Key, "own group, no other node active");
            }
            else
            {
                Send(new HaMessage([HaField.String(WireFields.Type, "ip-request"), HaField.String("ipaddr", group.Key)]));
            }
        }
    }

    public void Received(string from, HaMessage message)
    {
        string? key = message.GetString("ipaddr");
        switch (message.Type)
        {
            case "ip-request" when key is not null && resources.Groups.Any(g => g.Key == key):
                if (_held.Contains(key) || _pending.Contains(key))
                {
                    // The home node wants its group back: give it up first, answer when it is stopped.
                    _answerAfterRelease[key] = from;
                    Release(key, $"requested by {from}");
                }
                else
                {
                    Send(Grant(from, key, weOwn: false));
                }

                break;
            case "ip-request-resp" when key is not null && message.GetString("ok") == "OK" && resources.Groups.Any(g => g.Key == key):
                Acquire(key, $"granted by {from}");
                break;
            case "shutdone":
                TakeOver(from, "peer shut down");
                _departed.Add(from);
                break;
        }
    }

    public void PeerDied(string peer)
    {
        // Legacy asks for a reset unless the node said goodbye with shutdone first.
        Send(new HaMessage([HaField.String(WireFields.Type, "stonith"), HaField.String("node", peer), HaField.String("result", _departed.Contains(peer) ? "unneeded" : "n_stnth")]));
        TakeOver(peer, "peer dead");
    }

    public void PeerReturned(string peer) => _departed.Remove(peer);

    public void Tick()
    {
    }

    public void GroupStarted(string key, bool success)
    {
        _pending.Remove(key);
        if (success)
        {
            _held.Add(key);
        }
    }

    public void GroupStopped(string key)
    {
        _pending.Remove(key);
        _held.Remove(key);
        if (_answerAfterRelease.Remove(key, out string? requester))
        {
            Send(Grant(requester, key, weOwn: true));
        }

        if (State == PlannerState.ShuttingDown && _pending.Count == 0)
        {
            _commands.Add(new ReadyToLeave());
        }
    }

    public void BeginShutdown()
    {
        if (State == PlannerState.ShuttingDown)
        {
            return;
        }

        State = PlannerState.ShuttingDown;
        foreach (var group in resources.Groups)
        {
            _pending.Add(group.Key);
            _commands.Add(new ReleaseGroup(group.Key, "shutdown"));
        }

        if (_pending.Count == 0)
        {
            _commands.Add(new ReadyToLeave());
        }
    }

    private void TakeOver(string peer, string reason)
    {
        foreach (var group in resources.Groups.Where(g => !_held.Contains(g.Key) && (string.Equals(g.Node, peer, StringComparison.OrdinalIgnoreCase) || IsLocal(g))))
        {
            Acquire(group.Key, reason);
        }
    }

    private void Acquire(string key, string reason)
    {
        if (State != PlannerState.ShuttingDown && !_held.Contains(key) && _pending.Add(key))
        {
            _commands.Add(new AcquireGroup(key, reason));
        }
    }

    private void Release(string key, string reason)
    {
        _pending.Add(key);
        _commands.Add(new ReleaseGroup(key, reason));
    }

    private static HaMessage Grant(string to, string key, bool weOwn) => new(
    [
        HaField.String(WireFields.Type, "ip-request-resp"),
        HaField.String(WireFields.Dest, to),
        HaField.String("ipaddr", key),
        HaField.String("weown", weOwn ? "yes" : "no"),
        HaField.String("ok", "OK"),
    ]);

    private void Send(HaMessage body) => _commands.Add(new SendClusterMessage(body));

    private bool IsLocal(ResourceGroupSpec group) => string.Equals(group.Node, local, StringComparison.OrdinalIgnoreCase);
}
