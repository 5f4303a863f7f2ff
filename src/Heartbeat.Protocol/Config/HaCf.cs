using System.Collections.Immutable;
using System.Net;
using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Compression;

namespace Heartbeat.Protocol.Config;

/// <summary>auto_failback: where resources go when their home node comes back.</summary>
public enum AutoFailback
{
    /// <summary>3.0.6's default (with a deprecation warning): the old nice_failback-less protocol with ip-request.</summary>
    Legacy,
    On,
    Off,
}

public enum GenerationMethod
{
    File,
    Time,
}

public enum UuidSource
{
    File,
    NodeName,
}

public enum AutoJoin
{
    None,
    Other,
    Any,
}

/// <summary>A heartbeat medium from ha.cf. <see cref="Line"/> is where it was declared, for diagnostics.</summary>
public abstract record Medium(string Interface, int Line)
{
    /// <summary>The directive and arguments, as an admin would recognise them.</summary>
    public abstract string Describe();
}

/// <summary><c>bcast IF</c> (and its old alias <c>udp IF</c>): to the interface's broadcast address at the udpport current when the line was read.</summary>
public sealed record BroadcastMedium(string Interface, int Port, int Line, bool ViaUdpAlias) : Medium(Interface, Line)
{
    public override string Describe() => $"bcast {Interface} port {Port}";
}

/// <summary><c>mcast IF GROUP PORT TTL LOOP</c>.</summary>
public sealed record MulticastMedium(string Interface, IPAddress Group, int Port, int Ttl, bool Loop, int Line) : Medium(Interface, Line)
{
    public override string Describe() => $"mcast {Interface} {Group} {Port} {Ttl} {(Loop ? 1 : 0)}";
}

/// <summary><c>ucast IF PEER</c>: to one peer (address or host name) at the udpport current when the line was read.</summary>
public sealed record UnicastMedium(string Interface, string Peer, int Port, int Line) : Medium(Interface, Line)
{
    public override string Describe() => $"ucast {Interface} {Peer} port {Port}";
}

/// <summary><c>mcast6 IF GROUP PORT HOPS LOOP</c>: 3.0.6's mcast6 plugin, an IPv6 multicast group on one interface.</summary>
public sealed record Multicast6Medium(string Interface, IPAddress Group, int Port, int Hops, bool Loop, int Line) : Medium(Interface, Line)
{
    public override string Describe() => $"mcast6 {Interface} {Group} {Port} {Hops} {(Loop ? 1 : 0)}";
}

/// <summary><c>ucast6 IF PEER</c>: 3.0.6's ucast6 plugin, to one IPv6 peer (address or host name) at the udpport current when the line was read.</summary>
public sealed record Unicast6Medium(string Interface, string Peer, int Port, int Line) : Medium(Interface, Line)
{
    public override string Describe() => $"ucast6 {Interface} {Peer} port {Port}";
}

/// <summary>A configured node (lower-cased, as 3.0.6 does) and the line that named it.</summary>
public sealed record NodeEntry(string Name, int Line);

/// <summary>A <c>respawn user command…</c> line: the child 3.0.6 keeps running while the node is up.</summary>
/// <param name="User">The user it runs as.</param>
/// <param name="Command">The command with its arguments, as written (run as <c>/bin/sh -c "exec …"</c>).</param>
/// <param name="Line">The ha.cf line.</param>
/// <param name="NotRun">Why HeartbeatNet does not run it (ipfail and dopd: heartbeat's client API), or null.</param>
public sealed record RespawnEntry(string User, string Command, int Line, string? NotRun = null)
{
    /// <summary>3.0.6's ipfail (any path ending in /ipfail): HeartbeatNet runs its logic inside the node instead.</summary>
    public bool IsIpfail => Path.GetFileName(Command.Split([' ', '\t'], 2)[0]) == "ipfail";
}

/// <summary>The typed content of ha.cf after defaults and derived values are applied.</summary>
public sealed record HaCf
{
    /// <summary>
    /// ha.cf's values when no directive sets them (an empty file, through the same builder): the one set of defaults,
    /// which options built by hand (<see cref="Membership.MembershipOptions"/>) take too.
    /// </summary>
    public static HaCf Defaults { get; } = new HaCfBuilder().Build();

    public ImmutableArray<NodeEntry> Nodes { get; init; } = [];

    public TimeSpan Keepalive { get; init; }

    public TimeSpan Deadtime { get; init; }

    public TimeSpan Warntime { get; init; }

    public TimeSpan Initdead { get; init; }

    public TimeSpan Deadping { get; init; }

    public AutoFailback AutoFailback { get; init; }

    public int UdpPort { get; init; }

    public ImmutableArray<Medium> Media { get; init; } = [];

    public string? LogFile { get; init; }

    public string? DebugFile { get; init; }

    public string? LogFacility { get; init; }

    public bool UseLogd { get; init; }

    public int DebugLevel { get; init; }

    public bool LogBadPackets { get; init; }

    public bool SyslogMessageFormat { get; init; }

    public bool Realtime { get; init; }

    public int? RealtimePriority { get; init; }

    public int HopFudge { get; init; }

    public GenerationMethod GenerationMethod { get; init; }

    public UuidSource UuidSource { get; init; }

    /// <summary><c>msgfmt classic</c> (true, the default) or <c>netstring</c>.</summary>
    public bool ClassicMessageFormat { get; init; }

    public CompressionAlgorithm Compression { get; init; }

    public int CompressionThresholdKiB { get; init; }

    public bool TraditionalCompression { get; init; }

    public TimeSpan MaxRexmitDelay { get; init; }

    public string? Watchdog { get; init; }

    public AutoJoin AutoJoin { get; init; }

    /// <summary>Whether <c>crm</c>/<c>pacemaker</c> selects Pacemaker mode (anything but off/false/no).</summary>
    public bool CrmEnabled { get; init; }

    public string ClusterName { get; init; } = "linux-ha";

    /// <summary><c>env NAME=value</c> entries, exported to resource scripts as <c>HA_NAME</c>.</summary>
    public ImmutableDictionary<string, string> Environment { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The respawn lines in file order.</summary>
    public ImmutableArray<RespawnEntry> Respawns { get; init; } = [];

    /// <summary>The ping nodes (ping, ping6, ping_group lines) in file order.</summary>
    public ImmutableArray<PingNodeEntry> PingNodes { get; init; } = [];

    /// <summary>A <c>respawn … ipfail</c> line asks for ipfail, which HeartbeatNet runs built in (Ipfail/).</summary>
    public bool IpfailRequested => Respawns.Any(r => r.IsIpfail);

    /// <summary>Every stonith and stonith_host line, in order; <see cref="StonithDevice.ForNode"/> picks this node's.</summary>
    public ImmutableArray<StonithDevice> StonithDevices { get; init; } = [];

    /// <summary>The directives that appeared in the file (so a default can be told from an explicit value).</summary>
    public ImmutableHashSet<string> ExplicitDirectives { get; init; } = [];

    /// <summary>How outgoing messages are framed, from msgfmt and the compression directives.</summary>
    public WireOptions WireOptions => new()
    {
        ClassicFormat = ClassicMessageFormat,
        TraditionalCompression = TraditionalCompression,
        CompressionThreshold = CompressionThresholdKiB * 1024,
    };

    /// <summary>
    /// The value of the <c>ttl</c> field: hopfudge + number of configured nodes (wire-format.md §5); 3.0.6's node count
    /// includes the ping nodes (add_node), so they count too.
    /// </summary>
    public int MessageTtl => HopFudge + Nodes.Length + PingNodes.Length;

    public bool HasNode(string name) => Nodes.Any(n => n.Name == name);

    /// <summary>
    /// Whether this cluster runs v1 resource negotiation: it is defined for exactly two nodes (local/foreign,
    /// <c>starting</c>/<c>resource</c>, <c>mach_down</c>); 3.0.6's own nodes log errors ("Received 'starting' message
    /// in state 2") in larger clusters. A node named twice counts once.
    /// </summary>
    public bool NegotiatesResources => Nodes.Select(n => n.Name).Distinct(StringComparer.Ordinal).Count() == 2;
}
