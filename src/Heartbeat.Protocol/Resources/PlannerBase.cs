using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Resources;

/// <summary>
/// What both negotiations share: the command queue, the held and pending groups, and the graceful leave, which is the
/// same in every mode (3.0.6 stops every group of haresources in file order, held or not, then sends shutdone).
/// </summary>
public abstract class PlannerBase(string local, HaResources resources) : IResourcePlanner
{
    private readonly List<PlannerCommand> _commands = [];

    public PlannerState State { get; protected set; } = PlannerState.Init;

    public IReadOnlyCollection<string> Held => HeldKeys;

    public abstract HoldSet Holding { get; }

    public abstract bool InTransition { get; }

    protected string LocalNode { get; } = local;

    protected HaResources Resources { get; } = resources;

    protected HashSet<string> HeldKeys { get; } = new(StringComparer.Ordinal);

    /// <summary>Groups with a start or stop issued and not yet reported back.</summary>
    protected HashSet<string> PendingKeys { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<PlannerCommand> Drain()
    {
        var result = _commands.ToArray();
        _commands.Clear();
        return result;
    }

    public abstract void CommunicationUp(IReadOnlyCollection<string> deadPeers, bool anyPeerAlive);

    public abstract void Received(string from, HaMessage message);

    public abstract void PeerDied(string peer);

    /// <summary>The peer left gracefully (its <c>shutdone</c>): it holds nothing now.</summary>
    public abstract void PeerShutDown(string peer);

    public abstract void PeerReturned(string peer);

    public virtual void Tick()
    {
    }

    public void GroupStarted(string key, bool success)
    {
        PendingKeys.Remove(key);
        if (success)
        {
            HeldKeys.Add(key);
        }

        AfterGroupStarted();
    }

    public void GroupStopped(string key)
    {
        PendingKeys.Remove(key);
        HeldKeys.Remove(key);
        AfterGroupStopped(key);
        if (State == PlannerState.ShuttingDown && PendingKeys.Count == 0)
        {
            _commands.Add(new ReadyToLeave());
        }
    }

    /// <summary>Graceful leave: every group stopped (3.0.6 stops all, held or not), then membership may send shutdone.</summary>
    public void BeginShutdown()
    {
        if (State == PlannerState.ShuttingDown)
        {
            return;
        }

        State = PlannerState.ShuttingDown;
        OnShutdown();
        foreach (var group in Resources.Groups)
        {
            Release(group.Key, "shutdown");
        }

        if (PendingKeys.Count == 0)
        {
            _commands.Add(new ReadyToLeave());
        }
    }

    /// <summary>What a mode announces before its groups are stopped (nice_failback: the info=shutdown report).</summary>
    protected virtual void OnShutdown()
    {
    }

    protected virtual void AfterGroupStarted()
    {
    }

    protected virtual void AfterGroupStopped(string key)
    {
    }

    /// <summary>Starts a group unless it is held or under way; never while leaving (that VIP would outlive us).</summary>
    protected void Acquire(string key, string reason)
    {
        if (State != PlannerState.ShuttingDown && !HeldKeys.Contains(key) && PendingKeys.Add(key))
        {
            _commands.Add(new AcquireGroup(key, reason));
        }
    }

    protected void Release(string key, string reason)
    {
        PendingKeys.Add(key);
        _commands.Add(new ReleaseGroup(key, reason));
    }

    protected void Send(HaMessage body) => _commands.Add(new SendClusterMessage(body));

    /// <summary>The notice 3.0.6 sends when it declares a node dead; "unneeded" when the node had already let go.</summary>
    protected void SendStonith(string peer, bool needed) =>
        Send(new HaMessage([HaField.String(WireFields.Type, "stonith"), HaField.String("node", peer), HaField.String("result", needed ? "n_stnth" : "unneeded")]));

    protected bool IsLocal(ResourceGroupSpec group) => string.Equals(group.Node, LocalNode, StringComparison.OrdinalIgnoreCase);
}
