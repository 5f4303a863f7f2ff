using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Resources;

/// <summary>
/// The graceful leave, the same in every mode (3.0.6 stops every group of haresources in file order, held or not, then
/// sends shutdone), with make-before-break between two of ours: a leaving node keeps its address-only groups until the
/// peer says it has them up (<see cref="TookOverType"/>), <see cref="MakeBeforeBreakWait"/> at most.
/// </summary>
public abstract partial class PlannerBase
{
    /// <summary>Our own message in a graceful leave between two of ours: "your addresses are up and announced here; let go".</summary>
    public const string TookOverType = "hbnet-took-over";

    /// <summary>How long a leaving node keeps its addresses waiting for a peer of ours to take them first.</summary>
    public static readonly TimeSpan MakeBeforeBreakWait = TimeSpan.FromSeconds(2);

    /// <summary>Graceful leave: every group stopped (3.0.6 stops all, held or not), then membership may send shutdone.</summary>
    public void BeginShutdown()
    {
        if (State == PlannerState.ShuttingDown)
        {
            return;
        }

        State = PlannerState.ShuttingDown;
        _heal = null;
        OnShutdown();
        foreach (var group in Resources.Groups)
        {
            if (HeldKeys.Contains(group.Key) && KeepUntilTakenOver(group))
            {
                // Make-before-break: kept (and counted as under way) until the peer says it has the address up.
                _deferredReleases.Add(group.Key);
                PendingKeys.Add(group.Key);
            }
            else
            {
                Release(group.Key, "shutdown", GroupCause.Shutdown);
            }
        }

        _deferredUntil = Now + MakeBeforeBreakWait;

        if (PendingKeys.Count == 0)
        {
            _commands.Add(new ReadyToLeave());
        }
    }

    /// <summary>What a mode announces before its groups are stopped (nice_failback: the info=shutdown report).</summary>
    protected virtual void OnShutdown()
    {
    }

    /// <summary>
    /// Whether a leaving node keeps this held group until the peer has taken it (nice_failback, a live peer of ours, and
    /// a group of addresses only: two nodes may briefly both have an address, never both run a service).
    /// </summary>
    protected virtual bool KeepUntilTakenOver(ResourceGroupSpec group) => false;

    /// <summary>A group of native addresses only, which two nodes may both hold for a moment (make-before-break).</summary>
    protected static bool AddressesOnly(ResourceGroupSpec group) => group.Resources.All(r => r.IsIpAddress);

    /// <summary>Tells a leaving peer of ours that its addresses are up here, after they are.</summary>
    protected void SendTookOver() => Send(new HaMessage([HaField.String(WireFields.Type, TookOverType), HaField.String(ImplementationField, ImplementationVersion)]));

    private void ReleaseDeferred(string reason)
    {
        foreach (string key in _deferredReleases)
        {
            PendingKeys.Remove(key);
            Release(key, reason, GroupCause.Shutdown);
        }

        _deferredReleases.Clear();
    }

    /// <summary>The leave's timer: when the deferred releases go anyway.</summary>
    private TimeSpan? LeaveTimer() => _deferredReleases.Count > 0 ? _deferredUntil : null;

    private void TickLeave()
    {
        if (_deferredReleases.Count > 0 && Now >= _deferredUntil)
        {
            ReleaseDeferred($"shutdown (the peer did not take over within {MakeBeforeBreakWait.TotalSeconds:0} s)");
        }
    }

    /// <summary>We are leaving and the peer of ours says our addresses are up there: the kept groups go now.</summary>
    private void PeerTookOver(string from) => ReleaseDeferred($"shutdown, {from} has taken over");
}
