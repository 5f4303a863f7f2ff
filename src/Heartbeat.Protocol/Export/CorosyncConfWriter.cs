using System.Globalization;
using System.Text;

namespace Heartbeat.Protocol.Export;

/// <summary>Writes corosync.conf (Corosync 3, knet) with the comments that say where each value came from.</summary>
public static class CorosyncConfWriter
{
    public static string Write(CorosyncConfig config)
    {
        var s = new StringBuilder();
        PcsWriter.Comments(s, config.Header);
        s.Append("totem {\n    version: 2\n");
        s.Append($"    cluster_name: {config.ClusterName}\n");
        s.Append("    transport: knet\n");
        Comments(s, "    ", config.TokenComments);
        s.Append(CultureInfo.InvariantCulture, $"    token: {config.TokenMilliseconds}\n");
        Comments(s, "    ", config.CryptoComments);
        s.Append(config.Crypto ? "    crypto_cipher: aes256\n    crypto_hash: sha256\n" : "    crypto_cipher: none\n    crypto_hash: none\n");
        foreach (var link in config.Links)
        {
            s.Append('\n');
            Comments(s, "    ", [$"link {link.Number}: the heartbeat media on {link.Interface}", .. link.Comments]);
            s.Append(CultureInfo.InvariantCulture, $"    interface {{\n        linknumber: {link.Number}\n    }}\n");
        }

        s.Append("}\n\nnodelist {\n");
        foreach (var node in config.Nodes)
        {
            s.Append("    node {\n");
            for (int i = 0; i < node.Addresses.Length; i++)
            {
                s.Append(CultureInfo.InvariantCulture, $"        ring{i}_addr: {node.Addresses[i]}\n");
            }

            s.Append(CultureInfo.InvariantCulture, $"        name: {node.Name}\n        nodeid: {node.Id}\n    }}\n");
        }

        s.Append("}\n\nquorum {\n    provider: corosync_votequorum\n");
        if (config.TwoNode)
        {
            Comments(s, "    ", ["two nodes, as a v1 pair: the survivor keeps quorum when its peer dies (two_node implies wait_for_all: after a cold start both nodes must have met once)"]);
            s.Append("    two_node: 1\n");
        }

        s.Append("}\n\nlogging {\n    to_syslog: yes\n");
        if (config.SyslogFacility is { } facility)
        {
            Comments(s, "    ", [$"logfacility {facility}"]);
            s.Append($"    syslog_facility: {facility}\n");
        }

        s.Append("    timestamp: on\n}\n");
        return s.ToString();
    }

    private static void Comments(StringBuilder s, string indent, IEnumerable<string> comments)
    {
        foreach (string comment in comments)
        {
            s.Append(indent).Append("# ").Append(comment).Append('\n');
        }
    }
}
