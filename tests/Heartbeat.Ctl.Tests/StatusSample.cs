using Heartbeat.Protocol.Control;

namespace Heartbeat.Ctl.Tests;

/// <summary>A status document with every part filled in (a dead peer with two links, a held and a failed group).</summary>
internal static class StatusSample
{
    public static StatusReport Create() => new(
        "server1",
        "active",
        1796015703,
        "on",
        "Stable",
        "local",
        false,
        [new PeerReport("server2", "dead", 1796015704, 12500, true, [new LinkReport("ens18", false, 12500), new LinkReport("ens19", false, null)])],
        [
            new GroupReport("IPaddr2::10.10.10.1/24/ens18", "server1", true, "held", "local group", DateTimeOffset.Parse("2026-11-30T05:15:16Z", System.Globalization.CultureInfo.InvariantCulture), null, "server1"),
            new GroupReport("IPaddr2::10.10.10.11/24/ens18 mysql", "server2", false, "failed", "start failed: mysql start exited with 1: port in use", DateTimeOffset.Parse("2026-11-30T05:16:00Z", System.Globalization.CultureInfo.InvariantCulture), "2026-11-30 05:16:00Z start failed: mysql start exited with 1: port in use", null),
        ],
        "3ca3da62-f567-4a20-ad16-183040704536",
        "0.1.0",
        ["server1", "server2"],
        ["ens18", "ens19"],
        new CountersReport(
            4211, 4300, 4100, 2, new Dictionary<string, long> { ["BadDigest"] = 3, ["UnknownNode"] = 1 }, 5, 7, 1, 1450, 1,
            [new MediumCounters("bcast ens18 port 694", 4300, 0), new MediumCounters("ucast ens19 10.10.11.3 port 694", 4298, 2)],
            [new SocketCounters("0.0.0.0:694 on ens18", 4211), new SocketCounters("0.0.0.0:694 on ens19", 4100)],
            0),
        new ConfigReport("/etc/ha.d", 2000, 10000, 5000, 20000, 694, ["bcast ens18 port 694", "ucast ens19 10.10.11.3 port 694"], "md5 (key 1)", 2),
        [
            new RespawnReport("/usr/local/bin/watch-disk --every 5", "nobody", 4711, 2, "running", "exit 3"),
            new RespawnReport("/usr/lib/heartbeat/ipfail", "hacluster", null, 0, "not run", "ipfail is built into HeartbeatNet (enabled by this line); nothing is spawned"),
        ],
        [
            new PingNodeReport("10.10.10.254", "ping", ["10.10.10.254"], "ping", true, 310, 120, 118),
            new PingNodeReport("routers", "ping_group", ["10.10.10.252", "10.10.10.253"], "dead", false, null, 240, 0),
        ],
        new IpfailReport(1, 2, 1, "all", 1500, false, true, 42),
        ["server1", "10.10.10.254", "server2", "routers"]);
}
