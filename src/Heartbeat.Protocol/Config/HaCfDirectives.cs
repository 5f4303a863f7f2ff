using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;

namespace Heartbeat.Protocol.Config;

/// <summary>
/// Every directive Heartbeat 3.0.6 accepts in ha.cf (config-reference.md §1.4), with its parser, default and
/// documentation. Nothing else in the code base knows directive names: parser, defaults, docs and what a reload can
/// apply in place all read this table.
/// </summary>
public static partial class HaCfDirectives
{
    private static readonly Dictionary<string, AutoFailback> AutoFailbackChoices = new()
    {
        ["on"] = AutoFailback.On, ["true"] = AutoFailback.On, ["yes"] = AutoFailback.On, ["y"] = AutoFailback.On, ["1"] = AutoFailback.On,
        ["off"] = AutoFailback.Off, ["false"] = AutoFailback.Off, ["no"] = AutoFailback.Off, ["n"] = AutoFailback.Off, ["0"] = AutoFailback.Off,
        ["legacy"] = AutoFailback.Legacy,
    };

    private static readonly FrozenSet<string> Facilities = FrozenSet.ToFrozenSet(
    [
        "auth", "authpriv", "cron", "daemon", "ftp", "kern", "lpr", "mail", "news", "syslog", "user", "uucp",
        "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7", "none",
    ]);

    private static readonly FrozenSet<int> BaudRates = FrozenSet.ToFrozenSet([9600, 19200, 38400, 57600, 115200, 230400, 460800]);

    /// <summary>Directives the Debian build of 3.0.6 does not have; they are refused by 3.0.6 as "Illegal directive" too.</summary>
    public static FrozenSet<string> NotBuiltIn { get; } = FrozenSet.ToFrozenSet(["hbaping", "tipc", "rds", "normalpoll"]);

    public static IReadOnlyList<Directive> All { get; } =
    [
        new("node", DirectiveSupport.Implemented, false, "name …", "—", "A cluster node; names are lower-cased and must include this machine's uname -n.", ApplyNode),
        new("keepalive", DirectiveSupport.Implemented, false, "time", "1 (1000ms)", "Interval between status messages.", (b, c, v) => { if (c.TryTime(v, out var t)) { b.Keepalive = t; } }, Live: true),
        new("deadtime", DirectiveSupport.Implemented, false, "time", "30", "Silence after which a node is declared dead; advertised to peers as dt, and peers use it for us.", (b, c, v) => { if (c.TryTime(v, out var t)) { b.Deadtime = t; } }, Live: true),
        new("warntime", DirectiveSupport.Implemented, false, "time", "deadtime/2", "Interval after which a late heartbeat is logged.", ApplyWarntime, Live: true),
        new("initdead", DirectiveSupport.Implemented, false, "time", "deadtime if > 10 s; 12 s if deadtime < 6 s; else 2×deadtime", "Deadtime used right after start, until communication is up.", (b, c, v) => { if (c.TryTime(v, out var t)) { b.Initdead = t; } }, Live: true),
        new("deadping", DirectiveSupport.Implemented, false, "time", "deadtime", "Silence after which a ping node is declared dead (no authenticated echo reply); must be more than twice keepalive.", (b, c, v) => { if (c.TryTime(v, out var t)) { b.Deadping = t; } }),
        new("auto_failback", DirectiveSupport.Implemented, false, "on | off | legacy", "legacy", "Whether resources move back to their home node when it returns.", (b, c, v) => { if (c.TryChoice(v, AutoFailbackChoices, out var a, ignoreCase: true)) { b.AutoFailback = a; } }),
        new("nice_failback", DirectiveSupport.Obsolete, false, "boolean", "—", "Obsolete predecessor of auto_failback.", ApplyNiceFailback),
        new("udpport", DirectiveSupport.Implemented, false, "port", "694", "UDP port of bcast and ucast media declared after it.", ApplyUdpPort),
        new("bcast", DirectiveSupport.Implemented, false, "interface …", "—", "Broadcast medium on each named interface.", (b, c, v) => AddBroadcast(b, c, v, viaUdpAlias: false)),
        new("udp", DirectiveSupport.Implemented, false, "interface …", "—", "Old alias of bcast.", ApplyUdpAlias),
        new("mcast", DirectiveSupport.Implemented, true, "interface group port ttl loop", "—", "Multicast medium.", ApplyMcast),
        new("ucast", DirectiveSupport.Implemented, true, "interface peer", "—", "Unicast medium to one peer (one line per peer).", ApplyUcast),
        new("mcast6", DirectiveSupport.Implemented, true, "interface group port hops loop", "—", "IPv6 multicast medium.", ApplyMcast6),
        new("ucast6", DirectiveSupport.Implemented, true, "interface peer", "—", "IPv6 unicast medium to one peer (one line per peer).", ApplyUcast6),
        new("serial", DirectiveSupport.Ignored, false, "device …", "—", "Serial medium (not supported by HeartbeatNet).", IgnoredMedium),
        new("baud", DirectiveSupport.Ignored, false, "9600 | 19200 | … | 460800", "19200", "Serial speed.", ApplyBaud, OnceOnly: true),
        new("ping", DirectiveSupport.Implemented, false, "host …", "—", "A ping node per IPv4 host: one signed ICMP echo per keepalive; status ping while it answers, dead after deadping. Moves resources through ipfail.", ApplyPing),
        new("ping6", DirectiveSupport.Implemented, false, "host …", "—", "A ping node per IPv6 host (ICMPv6 echo), as ping.", ApplyPing6),
        new("ping_group", DirectiveSupport.Implemented, true, "name host …", "—", "One ping node named name, alive while any of its IPv4 hosts answers.", ApplyPingGroup),
        new("logfile", DirectiveSupport.Implemented, false, "path", "—", "Log file (/dev/null disables).", (b, _, v) => b.LogFile = v),
        new("debugfile", DirectiveSupport.Implemented, false, "path", "—", "Debug log file.", (b, _, v) => b.DebugFile = v),
        new("logfacility", DirectiveSupport.Implemented, false, "facility | none", "—", "Syslog facility of log messages.", ApplyLogFacility),
        new("use_logd", DirectiveSupport.NoEffect, false, "boolean", "off (on when no logging is configured)", "Log through logd; HeartbeatNet logs to journald instead.", (b, c, v) => { if (c.TryBoolean(v, out bool x)) { b.UseLogd = x; } }),
        new("conn_logd_time", DirectiveSupport.NoEffect, false, "time", "60", "logd reconnect interval.", (_, c, v) => c.TryTime(v, out var unused)),
        new("debug", DirectiveSupport.Implemented, false, "0-255", "0", "Debug level.", (b, c, v) => { if (c.TryInteger(v, 0, 255, out int x)) { b.DebugLevel = x; } }),
        new("syslogmsgfmt", DirectiveSupport.Implemented, false, "boolean", "true", "Syslog-style lines in log files.", (b, c, v) => { if (c.TryBoolean(v, out bool x)) { b.SyslogMessageFormat = x; } }),
        new("log_badpack", DirectiveSupport.Implemented, false, "boolean", "true", "Log rejected packets (always counted).", (b, c, v) => { if (c.TryBoolean(v, out bool x)) { b.LogBadPackets = x; } }),
        new("coredumps", DirectiveSupport.NoEffect, false, "boolean", "true", "Allow core dumps.", (_, c, v) => c.TryBoolean(v, out var unused)),
        new("coreroot", DirectiveSupport.NoEffect, false, "directory", "—", "Root directory of core dumps.", (_, _, _) => { }),
        new("realtime", DirectiveSupport.Implemented, false, "boolean", "true", "SCHED_FIFO (priority 1, or rtprio) for the loop, receive and group-worker threads; memory is not locked.", (b, c, v) => { if (c.TryBoolean(v, out bool x)) { b.Realtime = x; } }),
        new("rtprio", DirectiveSupport.Implemented, false, "1-99", "—", "Realtime priority (default 1, as 3.0.6).", ApplyRtPrio),
        new("memreserve", DirectiveSupport.NoEffect, false, "KiB > 0", "6500", "Memory locked in advance.", (_, c, v) => c.TryInteger(v, 1, int.MaxValue, out var unused)),
        new("watchdog", DirectiveSupport.Implemented, false, "device", "—", "Kernel watchdog device: opened at start with a timeout of deadtime + 10 ms (in seconds, rounded up), written every keepalive from the event loop, disarmed with 'V' on an orderly stop; a hung daemon reboots the machine.", ApplyWatchdog, OnceOnly: true),
        new("hopfudge", DirectiveSupport.Implemented, false, "0-255", "1", "Added to the node count for the ttl field.", (b, c, v) => { if (c.TryInteger(v, 0, 255, out int x)) { b.HopFudge = x; } }),
        new("hbgenmethod", DirectiveSupport.Implemented, false, "file | time", "file", "How the generation (hg) is chosen at start.", ApplyGenMethod),
        new("uuidfrom", DirectiveSupport.Implemented, false, "file | nodename", "file", "Source of this node's uuid.", ApplyUuidFrom),
        new("msgfmt", DirectiveSupport.Implemented, false, "classic | netstring", "classic", "classic adds the inner auth field; the wire framing is netstring either way.", ApplyMsgFmt),
        new("compression", DirectiveSupport.Implemented, false, "zlib | bz2", "zlib", "Compression plugin for large messages.", ApplyCompression),
        new("compression_threshold", DirectiveSupport.Implemented, false, "KiB > 0", "2", "Size above which traditional compression applies.", (b, c, v) => { if (c.TryInteger(v, 1, 2048, out int x)) { b.CompressionThresholdKiB = x; } }),
        new("traditional_compression", DirectiveSupport.Implemented, false, "boolean", "no", "Compress whole messages above compression_threshold.", (b, c, v) => { if (c.TryBoolean(v, out bool x)) { b.TraditionalCompression = x; } }),
        new("max_rexmit_delay", DirectiveSupport.Implemented, false, "milliseconds > 0", "250", "Pacing of retransmission requests.", (b, c, v) => { if (c.TryInteger(v, 1, 60_000, out int x)) { b.MaxRexmitDelay = TimeSpan.FromMilliseconds(x); } }),
        new("cluster", DirectiveSupport.NoEffect, false, "name", "linux-ha", "Cluster name (not on the wire in v1).", (b, _, v) => b.ClusterName = v),
        new("quorum_server", DirectiveSupport.PacemakerOnly, false, "host", "—", "Quorum server.", PacemakerOnly),
        new("autojoin", DirectiveSupport.Implemented, false, "none | other | any", "none", "Whether unknown nodes may join; must be none with haresources.", ApplyAutoJoin),
        new("crm", DirectiveSupport.Implemented, false, "off | on | respawn | …", "off", "Pacemaker mode; must be off for haresources.", ApplyCrm, OnceOnly: true),
        new("pacemaker", DirectiveSupport.Implemented, false, "off | on | respawn | …", "off", "Same as crm.", ApplyCrm, OnceOnly: true),
        new("crm_daemon_dir", DirectiveSupport.PacemakerOnly, false, "directory", "—", "Pacemaker daemon directory (always rejected by 3.0.6).", (_, c, _) => c.Error("crm_daemon_dir is refused by Heartbeat 3.0.6 whatever its value (an inverted return test), so this file cannot start a real node", "remove the line; it is meaningless without Pacemaker")),
        new("crmd_spawns_pengine", DirectiveSupport.PacemakerOnly, false, "boolean", "—", "Pacemaker setting.", PacemakerBoolean),
        new("record_config_changes", DirectiveSupport.PacemakerOnly, false, "boolean", "on", "Pacemaker setting.", PacemakerBoolean),
        new("record_pengine_inputs", DirectiveSupport.PacemakerOnly, false, "boolean", "on", "Pacemaker setting.", PacemakerBoolean),
        new("enable_config_writes", DirectiveSupport.PacemakerOnly, false, "boolean", "on", "Pacemaker setting.", PacemakerBoolean),
        new("use_apphbd", DirectiveSupport.NoEffect, false, "boolean", "—", "Use the application heartbeat daemon.", (_, c, v) => c.TryBoolean(v, out var unused)),
        new("env", DirectiveSupport.Implemented, false, "NAME=value", "—", "Exported to resource scripts as HA_NAME.", ApplyEnv),
        new("apiauth", DirectiveSupport.NoEffect, true, "client [uid=…] [gid=…]", "built-in", "API client permissions (HeartbeatNet has no client API; the built-in ipfail needs none).", ApplyApiAuth),
        new("respawn", DirectiveSupport.Implemented, true, "user /absolute/command [args]", "—", "A child started as user once communication is up, restarted when it exits (not after exit 100; not after 10 quick restarts), stopped at shutdown. ipfail is built in: its line enables it and nothing is spawned. dopd needs heartbeat's client API and is not run.", ApplyRespawn),
        new("failfast", DirectiveSupport.Ignored, true, "user /absolute/command [args]", "—", "Like respawn, rebooting when it dies (not supported by HeartbeatNet).", ApplyFailfast),
        new("stonith", DirectiveSupport.Implemented, true, "type config-file", "—", "STONITH device of every node, its parameters in a file (stonith -F). A dead node that may hold groups is reset through cluster-glue's stonith command before any takeover; failed resets are retried every 5 s.", ApplyStonith),
        new("stonith_host", DirectiveSupport.Implemented, true, "host|* type params…", "—", "STONITH device used by host (or every node): reset a dead node through cluster-glue (stonith -t type -p params -T reset) before taking its groups; the last line applying to a node wins.", ApplyStonithHost),
    ];

    public static FrozenDictionary<string, Directive> ByName { get; } = All.ToFrozenDictionary(d => d.Name, StringComparer.Ordinal);

    private static void ApplyNode(HaCfBuilder b, DirectiveContext c, string value)
    {
        if (value == "\\")
        {
            c.Error("node name '\\': ha.cf has no line continuation", "put all node names on one line, or use one 'node' line per node");
            return;
        }

        // 3.0.6 lower-cases node names from ha.cf and uname -n, and sends them lower-case in src.
        string name = value.ToLowerInvariant();
        if (b.Nodes.FirstOrDefault(n => n.Name == name) is { } previous)
        {
            c.Warning($"node '{name}' is already listed on line {previous.Line}", "3.0.6 creates a duplicate node entry; HeartbeatNet keeps one");
            return;
        }

        b.Nodes.Add(new NodeEntry(name, c.Line));
    }

    private static void ApplyWarntime(HaCfBuilder b, DirectiveContext c, string value)
    {
        if (!c.TryTime(value, out var t))
        {
            return;
        }

        if (t <= TimeSpan.Zero)
        {
            c.Error($"Warn time [{(long)t.TotalMilliseconds}] is invalid: it must be above 0");
            return;
        }

        b.Warntime = t;
    }

    private static void ApplyNiceFailback(HaCfBuilder b, DirectiveContext c, string value)
    {
        if (!c.TryBoolean(value, out bool on))
        {
            return;
        }

        c.Warning("nice_failback flag is obsolete", "use 'auto_failback off' (nice_failback on) or 'auto_failback on' (nice_failback off)");
        if (on)
        {
            // 3.0.6 maps nice_failback on to legacy, or to off when an earlier auto_failback line already chose on/off.
            b.AutoFailback = b.AutoFailback is AutoFailback.On or AutoFailback.Off ? AutoFailback.Off : AutoFailback.Legacy;
        }
    }

    private static void ApplyUdpPort(HaCfBuilder b, DirectiveContext c, string value)
    {
        if (!c.TryInteger(value, 1, 65535, out int port))
        {
            return;
        }

        if (b.FirstPortBoundMediumLine is int mediumLine)
        {
            c.Warning($"udpport comes after the bcast/ucast medium on line {mediumLine}, which keeps port {b.UdpPort}", "3.0.6 binds those media to the port current when their first line is read, and so does HeartbeatNet; move udpport before the media lines");
        }

        b.UdpPort = port;
    }

    private static void ApplyUdpAlias(HaCfBuilder b, DirectiveContext c, string value)
    {
        c.Warning("directive 'udp' replaced by 'bcast'", "udp is 3.0.6's old alias of bcast; write 'bcast " + value + "'");
        AddBroadcast(b, c, value, viaUdpAlias: true);
    }

    private static void AddBroadcast(HaCfBuilder b, DirectiveContext c, string iface, bool viaUdpAlias)
    {
        if (b.Media.OfType<BroadcastMedium>().FirstOrDefault(m => m.Interface == iface) is { } existing)
        {
            c.Warning($"a broadcast medium on {iface} is already declared on line {existing.Line}", "3.0.6 opens a second identical medium and sends every message twice; HeartbeatNet opens one");
            return;
        }

        b.FirstPortBoundMediumLine ??= c.Line;
        b.Media.Add(new BroadcastMedium(iface, b.UdpPort, c.Line, viaUdpAlias));
    }

    private static void ApplyMcast(HaCfBuilder b, DirectiveContext c, string line)
    {
        string[] words = SplitWords(line);
        if (words.Length < 5)
        {
            c.Error($"mcast needs 5 arguments (interface group port ttl loop), got {words.Length}", "example: mcast eth0 225.0.0.1 694 1 0");
            return;
        }

        if (!IPAddress.TryParse(words[1], out var group) || group.AddressFamily != AddressFamily.InterNetwork || (group.GetAddressBytes()[0] & 0xF0) != 0xE0)
        {
            c.Error($"mcast: bad addr '{words[1]}': not an IPv4 multicast group (224.0.0.0 to 239.255.255.255)");
            return;
        }

        if (!c.TryInteger(words[2], 1, 65535, out int port))
        {
            return;
        }

        if (!int.TryParse(words[3], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int ttl) || ttl > 4)
        {
            c.Error($"mcast: bad ttl [{words[3]}]: it must be 0 to 4");
            return;
        }

        if (words[4] is not ("0" or "1"))
        {
            c.Error($"mcast: missing loop or bad loop value [{words[4]}]: it must be 0 or 1");
            return;
        }

        if (words.Length > 5)
        {
            c.Warning($"mcast: extra words after the loop value are ignored: {string.Join(' ', words[5..])}");
        }

        var medium = new MulticastMedium(words[0], group, port, ttl, words[4] == "1", c.Line);
        if (b.Media.OfType<MulticastMedium>().FirstOrDefault(m => m.Interface == medium.Interface && m.Group.Equals(group) && m.Port == port) is { } existing)
        {
            c.Warning($"the same multicast medium is already declared on line {existing.Line}", "3.0.6 opens it twice; HeartbeatNet opens it once");
            return;
        }

        b.Media.Add(medium);
    }

    private static void ApplyUcast(HaCfBuilder b, DirectiveContext c, string line)
    {
        string[] words = SplitWords(line);
        if (words.Length < 2)
        {
            c.Error("ucast needs an interface and a peer address", "example: ucast eth0 10.0.0.2 (one line per peer)");
            return;
        }

        if (words.Length > 2)
        {
            c.Warning($"ucast: only the first peer is used; '{string.Join(' ', words[2..])}' is ignored", "3.0.6 ignores extra words too; write one ucast line per peer");
        }

        if (b.Media.OfType<UnicastMedium>().FirstOrDefault(m => m.Interface == words[0] && m.Peer == words[1]) is { } existing)
        {
            c.Warning($"the same unicast medium is already declared on line {existing.Line}", "3.0.6 opens it twice; HeartbeatNet opens it once");
            return;
        }

        b.FirstPortBoundMediumLine ??= c.Line;
        b.Media.Add(new UnicastMedium(words[0], words[1], b.UdpPort, c.Line));
    }

    private static void IgnoredMedium(HaCfBuilder b, DirectiveContext c, string value)
        => c.Warning($"{c.Name} media are not supported by HeartbeatNet; '{c.Name} {value}' is ignored", "use bcast, mcast, ucast, mcast6 or ucast6");

    private static void ApplyBaud(HaCfBuilder b, DirectiveContext c, string value)
    {
        if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int rate) || !BaudRates.Contains(rate))
        {
            c.Error($"invalid baudrate [{value}]", "one of 9600, 19200, 38400, 57600, 115200, 230400, 460800");
        }
    }

    private static void ApplyLogFacility(HaCfBuilder b, DirectiveContext c, string value)
    {
        if (!Facilities.Contains(value))
        {
            c.Error($"Log facility({value}) not valid", "a syslog facility such as daemon, local0 … local7, or none");
            return;
        }

        b.LogFacility = value;
    }

    private static void ApplyRtPrio(HaCfBuilder b, DirectiveContext c, string value)
    {
        if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int prio) || prio is < 1 or > 99)
        {
            c.Error($"Illegal realtime priority [{value}]: it must be 1 to 99");
            return;
        }

        b.RealtimePriority = prio;
    }

    private static void ApplyWatchdog(HaCfBuilder b, DirectiveContext c, string value)
    {
        b.Watchdog = value;
    }

    private static void ApplyGenMethod(HaCfBuilder b, DirectiveContext c, string value)
    {
        switch (value)
        {
            case "file":
                b.GenerationMethod = GenerationMethod.File;
                break;
            case "time":
                b.GenerationMethod = GenerationMethod.Time;
                break;
            default:
                c.Error($"Illegal hb generation method [{value}]", "file or time");
                break;
        }
    }

    private static void ApplyUuidFrom(HaCfBuilder b, DirectiveContext c, string value)
    {
        switch (value)
        {
            case "file":
                b.UuidSource = UuidSource.File;
                break;
            case "nodename":
                b.UuidSource = UuidSource.NodeName;
                c.Warning("uuidfrom nodename: 3.0.6 derives the uuid from glibc rand(), which HeartbeatNet does not reproduce", "HeartbeatNet derives a stable uuid from the node name instead; peers learn it from our packets");
                break;
            default:
                c.Error($"uuidfrom: '{value}' is not file or nodename");
                break;
        }
    }

    private static void ApplyMsgFmt(HaCfBuilder b, DirectiveContext c, string value)
    {
        switch (value)
        {
            case "classic":
                b.ClassicMessageFormat = true;
                break;
            case "netstring":
                b.ClassicMessageFormat = false;
                break;
            default:
                c.Error($"msgfmt: '{value}' is not classic or netstring");
                break;
        }
    }

    private static void ApplyCompression(HaCfBuilder b, DirectiveContext c, string value)
    {
        if (!DirectiveContext.CompressionChoices.TryGetValue(value, out var algorithm))
        {
            c.Error($"Compression module({value}) not found", "zlib or bz2");
            return;
        }

        b.Compression = algorithm;
        if (algorithm == Compression.CompressionAlgorithm.BZip2)
        {
            c.Note("HeartbeatNet reads bz2 payloads but compresses its own large messages with zlib", "every 3.0.6 node has the zlib plugin, so peers decompress them either way");
        }
    }

    private static void ApplyAutoJoin(HaCfBuilder b, DirectiveContext c, string value)
    {
        switch (value)
        {
            case "none":
                b.AutoJoin = AutoJoin.None;
                break;
            case "other":
                b.AutoJoin = AutoJoin.Other;
                break;
            case "any":
                b.AutoJoin = AutoJoin.Any;
                break;
            default:
                c.Error($"autojoin: '{value}' is not none, other or any");
                break;
        }
    }

    private static void ApplyCrm(HaCfBuilder b, DirectiveContext c, string value)
    {
        switch (value.ToLowerInvariant())
        {
            case "off" or "false" or "no" or "n" or "0":
                b.CrmEnabled = false;
                break;
            case "on" or "true" or "yes" or "y" or "1" or "respawn" or "minimal" or "manual" or "ccm-only" or "valgrind":
                b.CrmEnabled = true;
                c.Error($"{c.Name} {value} selects Pacemaker (v2) mode; HeartbeatNet runs only haresources (v1) mode", "set 'crm off' or remove the line; with crm on, 3.0.6 ignores haresources and needs the Pacemaker daemons");
                break;
            default:
                c.Error($"{c.Name}: '{value}' is not a valid value", "use 'crm off'");
                break;
        }
    }

    private static void PacemakerOnly(HaCfBuilder b, DirectiveContext c, string value)
        => c.Warning($"{c.Name} has no effect without Pacemaker; ignored");

    private static void PacemakerBoolean(HaCfBuilder b, DirectiveContext c, string value)
    {
        if (c.TryBoolean(value, out _))
        {
            PacemakerOnly(b, c, value);
        }
    }

    private static void ApplyEnv(HaCfBuilder b, DirectiveContext c, string value)
    {
        int equals = value.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            c.Error($"env: '{value}' is not NAME=value");
            return;
        }

        b.Environment["HA_" + value[..equals]] = value[(equals + 1)..];
    }

    private static void ApplyApiAuth(HaCfBuilder b, DirectiveContext c, string line)
    {
        string[] words = SplitWords(line);
        if (words.Length < 2 || !words[1..].Any(w => w.StartsWith("uid=", StringComparison.Ordinal) || w.StartsWith("gid=", StringComparison.Ordinal)))
        {
            c.Error("Invalid apiauth directive: it needs a client name and uid= or gid=");
            return;
        }

        if (!b.Seen.TryAdd("apiauth " + words[0], c.Line))
        {
            c.Error($"apiauth for client '{words[0]}' is given twice (refused by 3.0.6)");
        }
    }

    private static void ApplyRespawn(HaCfBuilder b, DirectiveContext c, string line)
    {
        if (RespawnCommand(c, line) is not { } words)
        {
            return;
        }

        // The command is everything after the user, as written: it runs as /bin/sh -c "exec <command>".
        string command = line.Trim()[words[0].Length..].Trim();
        string? notRun = null;
        if (Path.GetFileName(words[1]) == "ipfail")
        {
            // The node runs ipfail's logic itself (Ipfail/): the real binary needs heartbeat's client API, and spawned
            // it would exit at once and go round the respawn-too-fast loop.
            notRun = IpfailBuiltIn;
        }
        else if (Path.GetFileName(words[1]) == "dopd")
        {
            notRun = "dopd needs heartbeat's client API; HeartbeatNet does not run it";
            c.Warning(notRun, "the line is kept, so the file still works on a real 3.0.6 node; HeartbeatNet does not start it");
        }

        b.Respawns.Add(new RespawnEntry(words[0], command, c.Line, notRun));
    }

    private static void ApplyFailfast(HaCfBuilder b, DirectiveContext c, string line)
    {
        if (RespawnCommand(c, line) is { } words)
        {
            c.Warning($"{c.Name} is not supported by HeartbeatNet; {words[1]} will not be started", "run it as its own systemd service instead");
        }
    }

    /// <summary>The user and the command's words, or null (with the error) when the line does not name both.</summary>
    private static string[]? RespawnCommand(DirectiveContext c, string line)
    {
        string[] words = SplitWords(line);
        if (words.Length < 2 || !words[1].StartsWith('/'))
        {
            c.Error($"{c.Name} needs a user and an absolute command path", $"example: {c.Name} hacluster /usr/lib/heartbeat/ipfail");
            return null;
        }

        return words;
    }

    /// <summary><c>stonith type file</c>: the device of every node (3.0.6 set_stonith_info; the file is read by the plugin).</summary>
    private static void ApplyStonith(HaCfBuilder b, DirectiveContext c, string line)
    {
        string[] words = SplitWords(line);
        if (words.Length < 2)
        {
            c.Error("stonith needs a device type and its configuration file", "example: stonith external/ipmi /etc/ha.d/stonith.cfg");
            return;
        }

        b.StonithDevices.Add(new StonithDevice(null, words[0], null, string.Join(' ', words[1..]), c.Line));
    }

    /// <summary>
    /// <c>stonith_host host|* type params…</c> (3.0.6 set_stonith_host_info: the host lower-cased; lines for other
    /// hosts are skipped when the node picks its device, see <see cref="StonithDevice.ForNode"/>).
    /// </summary>
    private static void ApplyStonithHost(HaCfBuilder b, DirectiveContext c, string line)
    {
        string[] words = SplitWords(line);
        if (words.Length < 2)
        {
            c.Error("stonith_host needs a host (or *), a device type and its parameters", "example: stonith_host * external/ipmi node1 10.0.0.201 admin secret lan (the values in the order stonith -t TYPE -n lists them)");
            return;
        }

        string rest = line.TrimStart(' ', '\t')[words[0].Length..].TrimStart(' ', '\t')[words[1].Length..].Trim(' ', '\t');
        b.StonithDevices.Add(new StonithDevice(words[0].ToLowerInvariant(), words[1], rest, null, c.Line));
    }

    private static string[] SplitWords(string line) => line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
}
