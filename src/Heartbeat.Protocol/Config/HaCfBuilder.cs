using System.Collections.Immutable;
using Heartbeat.Protocol.Compression;

namespace Heartbeat.Protocol.Config;

/// <summary>Mutable state while ha.cf is read line by line; <see cref="Build"/> applies the derived defaults.</summary>
public sealed class HaCfBuilder
{
    internal const int DefaultUdpPort = 694;

    public List<NodeEntry> Nodes { get; } = [];

    public List<Medium> Media { get; } = [];

    public TimeSpan? Keepalive { get; set; }

    public TimeSpan? Deadtime { get; set; }

    public TimeSpan? Warntime { get; set; }

    public TimeSpan? Initdead { get; set; }

    public TimeSpan? Deadping { get; set; }

    public AutoFailback? AutoFailback { get; set; }

    public int UdpPort { get; set; } = DefaultUdpPort;

    /// <summary>Line of the first bcast/ucast medium; a udpport after it does not affect that medium (config-reference §1.2).</summary>
    public int? FirstPortBoundMediumLine { get; set; }

    public string? LogFile { get; set; }

    public string? DebugFile { get; set; }

    public string? LogFacility { get; set; }

    public bool? UseLogd { get; set; }

    public int DebugLevel { get; set; }

    public bool LogBadPackets { get; set; } = true;

    public bool SyslogMessageFormat { get; set; } = true;

    public bool Realtime { get; set; } = true;

    public int? RealtimePriority { get; set; }

    public int HopFudge { get; set; } = 1;

    public GenerationMethod GenerationMethod { get; set; }

    public UuidSource UuidSource { get; set; }

    public bool ClassicMessageFormat { get; set; } = true;

    public CompressionAlgorithm Compression { get; set; }

    public int CompressionThresholdKiB { get; set; } = 2;

    public bool TraditionalCompression { get; set; }

    public TimeSpan MaxRexmitDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    public string? Watchdog { get; set; }

    public AutoJoin AutoJoin { get; set; }

    public bool CrmEnabled { get; set; }

    public string ClusterName { get; set; } = "linux-ha";

    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    public List<RespawnEntry> Respawns { get; } = [];

    /// <summary>The ping, ping6 and ping_group lines' pseudo nodes, in file order.</summary>
    public List<PingNodeEntry> PingNodes { get; } = [];
    public List<StonithDevice> StonithDevices { get; } = [];

    /// <summary>Directive name → line of its first occurrence (repeats and once-only checks).</summary>
    public Dictionary<string, int> Seen { get; } = new(StringComparer.Ordinal);

    public static TimeSpan DefaultKeepalive => TimeSpan.FromSeconds(1);

    public static TimeSpan DefaultDeadtime => TimeSpan.FromSeconds(30);

    public TimeSpan EffectiveKeepalive => Keepalive ?? DefaultKeepalive;

    public TimeSpan EffectiveDeadtime => Deadtime ?? DefaultDeadtime;

    public TimeSpan EffectiveWarntime => Warntime ?? EffectiveDeadtime / 2;

    /// <summary>3.0.6's computed initdead: deadtime when above 10 s, 12 s when deadtime is under 6 s, else twice deadtime.</summary>
    public TimeSpan EffectiveInitdead => Initdead ?? (EffectiveDeadtime > TimeSpan.FromSeconds(10)
        ? EffectiveDeadtime
        : EffectiveDeadtime < TimeSpan.FromSeconds(6) ? TimeSpan.FromSeconds(12) : EffectiveDeadtime * 2);

    public TimeSpan EffectiveDeadping => Deadping ?? EffectiveDeadtime;

    public bool LoggingConfigured => LogFile is not null || DebugFile is not null || LogFacility is not null;

    public HaCf Build() => new()
    {
        Nodes = [.. Nodes],
        Keepalive = EffectiveKeepalive,
        Deadtime = EffectiveDeadtime,
        Warntime = EffectiveWarntime,
        Initdead = EffectiveInitdead,
        Deadping = EffectiveDeadping,
        AutoFailback = AutoFailback ?? Config.AutoFailback.Legacy,
        UdpPort = UdpPort,
        Media = [.. Media],
        LogFile = LogFile,
        DebugFile = DebugFile,
        LogFacility = LogFacility,
        UseLogd = UseLogd ?? !LoggingConfigured,
        DebugLevel = DebugLevel,
        LogBadPackets = LogBadPackets,
        SyslogMessageFormat = SyslogMessageFormat,
        Realtime = Realtime,
        RealtimePriority = RealtimePriority,
        HopFudge = HopFudge,
        GenerationMethod = GenerationMethod,
        UuidSource = UuidSource,
        ClassicMessageFormat = ClassicMessageFormat,
        Compression = Compression,
        CompressionThresholdKiB = CompressionThresholdKiB,
        TraditionalCompression = TraditionalCompression,
        MaxRexmitDelay = MaxRexmitDelay,
        Watchdog = Watchdog,
        AutoJoin = AutoJoin,
        CrmEnabled = CrmEnabled,
        ClusterName = ClusterName,
        Environment = Environment.ToImmutableDictionary(),
        Respawns = [.. Respawns],
        PingNodes = [.. PingNodes],
        StonithDevices = [.. StonithDevices],
        ExplicitDirectives = [.. Seen.Keys],
    };
}
