using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;

namespace Heartbeat.Protocol.Config;

// ping, ping6 and ping_group: 3.0.6's ping plugins, each adding a pseudo node of type ping (add_node(…, PINGNODE_I)).
public static partial class HaCfDirectives
{
    /// <summary>Why a respawn line for ipfail starts no process: the node runs ipfail's logic itself.</summary>
    public const string IpfailBuiltIn = "ipfail is built into HeartbeatNet (enabled by this line); nothing is spawned";

    private static void ApplyPing(HaCfBuilder b, DirectiveContext c, string host) => AddPingHost(b, c, host, PingKind.Ping);

    private static void ApplyPing6(HaCfBuilder b, DirectiveContext c, string host) => AddPingHost(b, c, host, PingKind.Ping6);

    private static void AddPingHost(HaCfBuilder b, DirectiveContext c, string host, PingKind kind)
    {
        if (!IsPingHost(c, host, kind))
        {
            return;
        }

        AddPingNode(b, c, new PingNodeEntry(host.ToLowerInvariant(), host, kind, [host], c.Line));
    }

    /// <summary><c>ping_group name host…</c>: 3.0.6 refuses a line without a name or without a host.</summary>
    private static void ApplyPingGroup(HaCfBuilder b, DirectiveContext c, string line)
    {
        string[] words = SplitWords(line);
        if (words.Length < 2)
        {
            c.Error("ping_group needs a name and at least one host", "example: ping_group gateways 10.0.0.1 10.0.0.254");
            return;
        }

        foreach (string host in words[1..])
        {
            if (!IsPingHost(c, host, PingKind.PingGroup))
            {
                return;
            }
        }

        AddPingNode(b, c, new PingNodeEntry(words[0].ToLowerInvariant(), words[0], PingKind.PingGroup, [.. words[1..]], c.Line));
    }

    /// <summary>
    /// One pseudo node per name: a second ping of the same host, or a ping_group named like a ping host, would be a
    /// second node table entry that 3.0.6's lookups never reach (they find the first); it is reported and left out.
    /// </summary>
    private static void AddPingNode(HaCfBuilder b, DirectiveContext c, PingNodeEntry entry)
    {
        if (b.PingNodes.Find(p => p.Name == entry.Name) is { } first)
        {
            c.Warning($"{c.Name}: ping node '{entry.Written}' is already declared on line {first.Line}; this one is left out", "declare each ping host or group once");
            return;
        }

        b.PingNodes.Add(entry);
    }

    /// <summary>
    /// An address of the plugin's family, or a host name (3.0.6 resolves it when it reads the line; the daemon does at
    /// start, and refuses to start when it does not resolve, as 3.0.6's "unknown host").
    /// </summary>
    private static bool IsPingHost(DirectiveContext c, string host, PingKind kind)
    {
        var family = kind == PingKind.Ping6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        if (IPAddress.TryParse(host, out var address))
        {
            if (address.AddressFamily != family)
            {
                c.Error($"{c.Name}: '{host}' is not an {(family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")} address", kind == PingKind.Ping6 ? "use ping for IPv4 hosts" : "use ping6 for IPv6 hosts");
                return false;
            }

            return true;
        }

        if (Uri.CheckHostName(host) != UriHostNameType.Dns)
        {
            c.Error($"{c.Name}: unknown host: {host}", "a ping host is an address or a host name");
            return false;
        }

        return true;
    }

}
