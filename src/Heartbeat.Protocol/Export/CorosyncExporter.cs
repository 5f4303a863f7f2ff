using System.Collections.Immutable;
using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Config;

namespace Heartbeat.Protocol.Export;

/// <summary>
/// ha.cf's nodes, media and timing → corosync.conf: the nodes with ids, one knet link per interface that carries
/// heartbeat media, the token timeout from deadtime, two_node for a pair, and crypto when authkeys authenticates.
/// </summary>
public static class CorosyncExporter
{
    /// <summary>knet's limit on links per node.</summary>
    public const int MaxLinks = 8;

    public static CorosyncConfig Convert(ClusterConfig config, ImmutableArray<HaCfLine> extras, ConfigFiles files, IReadOnlyDictionary<string, ImmutableArray<string>>? nodeAddresses, DiagnosticBag diagnostics)
    {
        var haCf = config.HaCf;
        var header = ImmutableArray.CreateBuilder<string>();
        header.AddRange(PacemakerExporter.Header(files, config.AuthKeys, "Corosync 3 configuration"));

        // Media on one interface reach the peer over the same addresses: a knet link per interface, not per line
        // (knet refuses two links with the same addresses).
        var interfaces = haCf.Media.Select(m => m.Interface).Distinct(StringComparer.Ordinal).ToList();
        int linkCount = LinkCount(haCf, interfaces.Count, nodeAddresses, diagnostics);
        var links = ImmutableArray.CreateBuilder<CorosyncLink>();
        for (int i = 0; i < interfaces.Count; i++)
        {
            var comments = LinkComments(haCf, interfaces[i]);
            if (i < linkCount)
            {
                links.Add(new CorosyncLink(i, interfaces[i], comments));
            }
            else
            {
                header.Add($"NOT CONVERTED: the heartbeat media on {interfaces[i]} ({string.Join("; ", haCf.Media.Where(m => m.Interface == interfaces[i]).Select(m => $"ha.cf:{m.Line} {m.Describe()}"))}) need each node's address on {interfaces[i]}: give them with --node-address NODE=ADDR0,ADDR1,… (one address per interface, in ha.cf order) to add link {i}.");
            }
        }

        foreach (var line in extras.Where(e => e.Directive is "mcast6" or "ucast6" or "serial"))
        {
            header.Add($"ha.cf:{line.Line} '{line.Text}': {(line.Directive == "serial" ? "corosync has no serial links; NOT CONVERTED" : "an IPv6 medium: add a link with each node's IPv6 address (--node-address) to keep it")}.");
        }

        var nodes = haCf.Nodes.Select((n, i) => new CorosyncNode(
            i + 1,
            n.Name,
            nodeAddresses is not null && nodeAddresses.TryGetValue(n.Name, out var addresses) ? addresses : [n.Name])).ToImmutableArray();
        if (nodeAddresses is null)
        {
            header.Add("ring0_addr is each node's name, which corosync resolves (/etc/hosts or DNS) to its address on link 0; give addresses with --node-address to write them instead.");
        }

        // Corosync declares a silent node lost after token + consensus, and consensus defaults to 1.2 × token: a token
        // of deadtime / 2.2 makes that the deadtime, the silence after which Heartbeat declared a node dead.
        int token = (int)Math.Round(haCf.Deadtime.TotalMilliseconds / 2.2);
        var tokenComments = ImmutableArray.Create(
            $"deadtime {PacemakerExporter.Seconds(haCf.Deadtime)}: corosync declares a silent node lost after token + consensus (consensus defaults to 1.2 × token), so token = deadtime / 2.2 makes that {PacemakerExporter.Seconds(haCf.Deadtime)} too",
            $"keepalive {PacemakerExporter.Seconds(haCf.Keepalive)} has no setting: the token circulates all the time and knet derives its link pings from token",
            $"initdead {PacemakerExporter.Seconds(haCf.Initdead)} has no equivalent: {(haCf.Nodes.Length == 2 ? "two_node's wait_for_all makes a starting node wait until it has seen its peer once instead" : "a starting partition waits for quorum instead")}");

        bool crypto = config.AuthKeys.Active.Method != AuthMethod.Crc;
        var cryptoComments = crypto
            ? ImmutableArray.Create($"authkeys signs with {AuthKey.MethodName(config.AuthKeys.Active.Method)}: corosync encrypts and authenticates instead, with its own key, not authkeys' secret", "make the key once with corosync-keygen (it writes /etc/corosync/authkey) and copy that file to every node, mode 400")
            : ImmutableArray.Create("authkeys uses crc, which authenticates nothing: corosync runs without crypto too", "to secure it: corosync-keygen, copy /etc/corosync/authkey to every node, then set crypto_cipher: aes256 and crypto_hash: sha256");

        string? facility = haCf.LogFacility is { } f && f != "none" ? f : null;
        return new CorosyncConfig(header.ToImmutable(), haCf.ClusterName, token, tokenComments, links.ToImmutable(), nodes, haCf.Nodes.Length == 2, crypto, cryptoComments, facility);
    }

    private static int LinkCount(HaCf haCf, int interfaces, IReadOnlyDictionary<string, ImmutableArray<string>>? nodeAddresses, DiagnosticBag diagnostics)
    {
        if (nodeAddresses is null)
        {
            return 1; // the node names resolve to one address each
        }

        var counts = haCf.Nodes.Select(n => nodeAddresses.TryGetValue(n.Name, out var a) ? a.Length : 0).Distinct().ToList();
        var unknown = nodeAddresses.Keys.Where(k => !haCf.HasNode(k)).ToList();
        if (unknown.Count > 0)
        {
            diagnostics.Error(0, $"--node-address names {string.Join(", ", unknown)}, not a node of ha.cf ({string.Join(", ", haCf.Nodes.Select(n => n.Name))})");
        }

        if (counts.Count != 1 || counts[0] == 0)
        {
            diagnostics.Error(0, "--node-address must give every node of ha.cf the same number of addresses (one per knet link)", $"nodes: {string.Join(", ", haCf.Nodes.Select(n => n.Name))}");
            return 1;
        }

        if (counts[0] > Math.Min(interfaces, MaxLinks))
        {
            diagnostics.Error(0, $"--node-address gives {counts[0]} addresses per node, but ha.cf has heartbeat media on {interfaces} interface(s) (knet allows at most {MaxLinks} links)");
        }

        return counts[0];
    }

    private static ImmutableArray<string> LinkComments(HaCf haCf, string iface)
    {
        var comments = ImmutableArray.CreateBuilder<string>();
        foreach (var medium in haCf.Media.Where(m => m.Interface == iface))
        {
            comments.Add($"ha.cf:{medium.Line} {medium.Describe()}: " + medium switch
            {
                BroadcastMedium => "knet has no broadcast; it sends unicast to each node's address on this link",
                MulticastMedium => "knet has no multicast; it sends unicast to each node's address on this link (no group, ttl or loop)",
                UnicastMedium u => $"knet sends unicast to each node's ringN_addr; the peer {u.Peer} is one of them",
                _ => "carried by this link",
            });
        }

        comments.Add($"UDP port 5405 (knet's default), not Heartbeat's udpport {haCf.UdpPort}: open it in the firewall");
        return comments.ToImmutable();
    }
}
