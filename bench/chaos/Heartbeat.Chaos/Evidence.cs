namespace Heartbeat.Chaos;

// The outside evidence of one run, every time in seconds since the Unix epoch (the clock of tcpdump -tt, ip -ts
// monitor in UTC, and the counting script's `date +%s.%N`): what the checker reads, nothing from the daemons' own logs.

/// <summary>An address added to or deleted from a node's interface (<c>ip -ts monitor address</c>).</summary>
public sealed record AddressChange(double At, string Node, string Address, bool Added);

/// <summary>
/// A Heartbeat datagram from <paramref name="Sender"/> seen arriving on an interface of <paramref name="Receiver"/> (tcpdump),
/// with the message it carried when the capture printed it (null: header only, or a compressed or unreadable payload).
/// </summary>
public sealed record Reception(double At, string Receiver, string Sender, HbMessage? Message = null);

/// <summary>
/// The fields of a captured Heartbeat message that tell who gives up or takes the resources: its type (<c>t=</c>) and,
/// where present, <c>rsc_hold=</c> and <c>info=</c> (the v1 resource exchange: starting, resource, ask_resources,
/// shutdone; /work/shared/protocol/wire-format.md).
/// </summary>
public sealed record HbMessage(string Type, string? Hold = null, string? Info = null)
{
    /// <summary>"t=TYPE[ rsc_hold=…][ info=…]", as the evidence dump and the report print it.</summary>
    public string Text => $"t={Type}{(Hold is null ? string.Empty : " rsc_hold=" + Hold)}{(Info is null ? string.Empty : " info=" + Info)}";
}

/// <summary>One client connection to a VIP: the node that answered, or null (refused or timed out).</summary>
public sealed record ProbeAttempt(double At, string Vip, string? AnsweredBy);

/// <summary>The daemon's process on a node as /proc shows it (null: none), sampled when it changes.</summary>
public sealed record PidSample(double At, string Node, int? Pid);

/// <summary>One line of the counting resource script's file: start, stop, status, started, stopped, failed, reset.</summary>
public sealed record ScriptCall(double At, string Node, string Action);

/// <summary>One fault as the nemesis applied it: begun, healed, and the end of the quiet after it.</summary>
public sealed record AppliedFault(int Index, FaultKind Kind, string Node, double Begin, double Heal, double SettleEnd, string Detail);

/// <summary>Everything recorded about one run.</summary>
public sealed record Evidence(
    IReadOnlyList<string> Nodes,
    IReadOnlyList<string> Vips,
    IReadOnlyList<AddressChange> Addresses,
    IReadOnlyList<Reception> Receptions,
    IReadOnlyList<ProbeAttempt> Probes,
    IReadOnlyList<PidSample> Pids,
    IReadOnlyList<ScriptCall> Script,
    IReadOnlyList<AppliedFault> Faults,
    double Start,
    double End);

/// <summary>What the checker allows for: the lab's timers and bounds on the resource group's start and stop.</summary>
/// <param name="GroupStart">Bound on the time the whole group takes to start (IPaddr2 per VIP and the counting script).</param>
/// <param name="GroupStop">Bound on the time the whole group takes to stop.</param>
/// <param name="Margin">Scheduling slack on a loaded 2-core machine.</param>
/// <param name="RestartAllowance">How long after a kill or stop's heal a daemon may still be starting (a new pid appears).</param>
public sealed record CheckRules(TimeSpan Keepalive, TimeSpan Deadtime, TimeSpan GroupStart, TimeSpan GroupStop, TimeSpan Margin, TimeSpan RestartAllowance)
{
    /// <summary>
    /// Heartbeats from a peer count as continuous while no two arrivals are further apart than this (two keepalives:
    /// one datagram lost or late is not silence).
    /// </summary>
    public double ContinuityGap => 2 * Keepalive.TotalSeconds;

    /// <summary>Rule 1: how long both nodes must have received each other's heartbeats continuously to have heard each other.</summary>
    public double HeardFor => Keepalive.TotalSeconds;

    /// <summary>
    /// Rule 1's grace: how long two holders may overlap once the nodes have heard each other (the loser's stop of the
    /// group; also the few milliseconds of a make-before-break handover between two of ours).
    /// </summary>
    public double Resolution => GroupStop.TotalSeconds + Margin.TotalSeconds;

    /// <summary>The real 3.0.6 nodes of the run (ours+real: server2), whose release of a group takes longer.</summary>
    public IReadOnlySet<string> RealNodes { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// What rule 1's grace adds when the holder that lets go is a real 3.0.6 node: it never stops a group at once. The
    /// node that saw a healed partition restarts 2 s after "returning after partition" (heartbeat.c arms a 2000 ms
    /// CauseShutdownRestart timer) and only then stops its groups; asked to give a group up, it forks rc.d/hb_takeover,
    /// hb_standby and ResourceManager before its first stop (0.5–1.5 s under the campaign's load).
    /// </summary>
    public static readonly TimeSpan RealReleaseDelay = TimeSpan.FromSeconds(2);

    /// <summary>Rule 1's grace when <paramref name="releaser"/> is the holder whose hold ends the overlap.</summary>
    public double ResolutionFor(string releaser) => Resolution + (RealNodes.Contains(releaser) ? RealReleaseDelay.TotalSeconds : 0);

    /// <summary>Rule 2's point: some node holds every VIP this long after a fault is healed.</summary>
    public double HeldAfterHeal => Deadtime.TotalSeconds + GroupStart.TotalSeconds + Margin.TotalSeconds;

    /// <summary>Rule 2's allowance for a handover in the quiet (a failback: the group stopped here, started there).</summary>
    public double Handover => GroupStop.TotalSeconds + GroupStart.TotalSeconds + Margin.TotalSeconds;

    public static CheckRules For(Timers timers, int vips) => new(
        timers.Keepalive,
        timers.Deadtime,
        // 3.0.6's IPaddr2 took up to 0.93 s a VIP to start and 0.4 s to stop on this loaded 2-core machine (seed 3,
        // ours+real); ours adds a group in milliseconds. The counting script ~0.1 s.
        TimeSpan.FromSeconds(1.0 * vips + 0.5),
        TimeSpan.FromSeconds(0.5 * vips + 0.5),
        TimeSpan.FromSeconds(1),
        TimeSpan.FromSeconds(20));
}

/// <summary>One violation of the checker's rules, with the evidence that shows it.</summary>
/// <param name="Culprit">
/// The node whose behaviour the evidence points at ("-": the cluster's): of two holders the one that acquired against
/// the captured resource exchange (else the later), the node that went
/// silent, the node whose daemon died or started twice. A real 3.0.6 node's violations are reported apart.
/// </param>
public sealed record Violation(string Rule, double At, string Node, string Detail, string Culprit = "-");
