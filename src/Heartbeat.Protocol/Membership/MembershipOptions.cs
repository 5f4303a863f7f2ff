using System.Collections.Immutable;
using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Config;

namespace Heartbeat.Protocol.Membership;

/// <summary>Who this node is on the wire: name (as configured, lower case), uuid and generation of this run.</summary>
public sealed record LocalIdentity(string Name, NodeUuid Uuid, ulong Generation);

/// <summary>
/// The timers and wire settings the membership layer runs with, taken from ha.cf. Whatever is not set defaults as
/// ha.cf does (<see cref="HaCf.Defaults"/>): there is no second set of defaults here.
/// </summary>
public sealed record MembershipOptions
{
    /// <summary>The stall guard's threshold is at most this, and at most half the deadtime.</summary>
    private static readonly TimeSpan MaxStallThreshold = TimeSpan.FromSeconds(1);

    private readonly int? _messageTtl;

    public required ImmutableArray<string> Nodes { get; init; }

    public TimeSpan Keepalive { get; init; } = HaCf.Defaults.Keepalive;

    public TimeSpan Deadtime { get; init; } = HaCf.Defaults.Deadtime;

    public TimeSpan Warntime { get; init; } = HaCf.Defaults.Warntime;

    public TimeSpan Initdead { get; init; } = HaCf.Defaults.Initdead;

    /// <summary><c>max_rexmit_delay</c>: the repeat interval of retransmission requests.</summary>
    public TimeSpan MaxRexmitDelay { get; init; } = HaCf.Defaults.MaxRexmitDelay;

    /// <summary>The value of the <c>ttl</c> field (hopfudge + number of nodes; hopfudge's default unless set).</summary>
    public int MessageTtl
    {
        get => _messageTtl ?? HaCf.Defaults.HopFudge + Nodes.Length;
        init => _messageTtl = value;
    }

    public WireOptions Wire { get; init; } = HaCf.Defaults.WireOptions;

    /// <summary>
    /// Being called this much later than <see cref="MembershipEngine.NextDeadline"/> means our own process was paused;
    /// peers then get a fresh window before anyone is declared dead. At most half the deadtime, so a real failure is
    /// still seen in time.
    /// </summary>
    public TimeSpan StallThreshold { get; init; } = StallThresholdFor(HaCf.Defaults.Deadtime);

    /// <summary>reqnodes is repeated every second until a repnodes arrives.</summary>
    public static readonly TimeSpan NodeListRetry = TimeSpan.FromSeconds(1);

    /// <summary>3.0.6 does not resend one seq twice within 240 ms.</summary>
    public static readonly TimeSpan ResendGuard = TimeSpan.FromMilliseconds(240);

    /// <summary>3.0.6 resends at most 50 packets per request.</summary>
    public const int MaxResendPerRequest = 50;

    public static MembershipOptions FromConfig(HaCf haCf) => new()
    {
        Nodes = [.. haCf.Nodes.Select(n => n.Name)],
        Keepalive = haCf.Keepalive,
        Deadtime = haCf.Deadtime,
        Warntime = haCf.Warntime,
        Initdead = haCf.Initdead,
        MaxRexmitDelay = haCf.MaxRexmitDelay > TimeSpan.Zero ? haCf.MaxRexmitDelay : HaCf.Defaults.MaxRexmitDelay,
        MessageTtl = haCf.MessageTtl,
        Wire = haCf.WireOptions,
        StallThreshold = StallThresholdFor(haCf.Deadtime),
    };

    private static TimeSpan StallThresholdFor(TimeSpan deadtime) => TimeSpan.FromTicks(Math.Min(MaxStallThreshold.Ticks, deadtime.Ticks / 2));
}
