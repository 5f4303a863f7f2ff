using System.Collections.Immutable;
using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Config;

namespace Heartbeat.Protocol.Membership;

/// <summary>Who this node is on the wire: name (as configured, lower case), uuid and generation of this run.</summary>
public sealed record LocalIdentity(string Name, NodeUuid Uuid, ulong Generation);

/// <summary>The timers and wire settings the membership layer runs with, taken from ha.cf.</summary>
public sealed record MembershipOptions
{
    public required ImmutableArray<string> Nodes { get; init; }

    public TimeSpan Keepalive { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan Deadtime { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan Warntime { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan Initdead { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary><c>max_rexmit_delay</c>: the repeat interval of retransmission requests.</summary>
    public TimeSpan MaxRexmitDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The value of the <c>ttl</c> field (hopfudge + number of nodes).</summary>
    public int MessageTtl { get; init; } = 3;

    public WireOptions Wire { get; init; } = WireOptions.Default;

    /// <summary>
    /// Being called this much later than <see cref="MembershipEngine.NextDeadline"/> means our own process was paused;
    /// peers then get a fresh window before anyone is declared dead. At most half the deadtime, so a real failure is
    /// still seen in time.
    /// </summary>
    public TimeSpan StallThreshold { get; init; } = TimeSpan.FromSeconds(1);

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
        MaxRexmitDelay = haCf.MaxRexmitDelay > TimeSpan.Zero ? haCf.MaxRexmitDelay : TimeSpan.FromMilliseconds(250),
        MessageTtl = haCf.MessageTtl,
        Wire = haCf.WireOptions,
        StallThreshold = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(1).Ticks, haCf.Deadtime.Ticks / 2)),
    };
}
