using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Heartbeat.Protocol.Config;

/// <summary>
/// Reads haresources (config-reference.md §2): one logical line per group, '\' as the very last character joins
/// the next line, '#' starts a comment anywhere; node names are checked against ha.cf case-insensitively.
/// </summary>
public static partial class HaResourcesParser
{
    /// <param name="content">The file's bytes.</param>
    /// <param name="path">For diagnostics.</param>
    /// <param name="nodes">The ha.cf node names, or null when ha.cf could not be read (names are then not checked).</param>
    public static ParseResult<HaResources> Parse(ReadOnlySpan<byte> content, string path, IReadOnlyCollection<string>? nodes)
    {
        var diagnostics = new DiagnosticBag(path);
        var groups = ImmutableArray.CreateBuilder<ResourceGroupSpec>();
        var keys = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (lineNumber, text, brokenContinuation) in LogicalLines(content, diagnostics))
        {
            string[] words = text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0)
            {
                continue;
            }

            string node = words[0];
            if (nodes is not null && !nodes.Any(n => string.Equals(n, node, StringComparison.OrdinalIgnoreCase)))
            {
                string hint = brokenContinuation
                    ? "the previous line ends with '\\' followed by a blank, which does not continue the line (3.0.6 fails the same way)"
                    : $"the first word of a line must be a node from ha.cf ({string.Join(", ", nodes)})";
                diagnostics.Error(lineNumber, $"Bad nodename in {path} [{node}]", hint);
                continue;
            }

            var resources = ImmutableArray.CreateBuilder<ResourceSpec>();
            foreach (string word in words.Skip(1))
            {
                if (ParseResource(word, lineNumber, diagnostics) is { } resource)
                {
                    resources.Add(resource);
                }
            }

            if (words.Length == 1)
            {
                diagnostics.Note(lineNumber, $"node {node} is listed without resources", "3.0.6 accepts this; the line defines no group");
                continue;
            }

            if (resources.Count != words.Length - 1)
            {
                continue;
            }

            var group = new ResourceGroupSpec(node.ToLowerInvariant(), resources.ToImmutable(), lineNumber);
            if (keys.TryGetValue(group.Key, out int firstLine))
            {
                diagnostics.Error(lineNumber, $"group key '{group.Key}' is already used by the group on line {firstLine}", "groups are identified by their first resource; 3.0.6 does not check this and its ResourceManager then confuses the two groups");
                continue;
            }

            keys[group.Key] = lineNumber;
            groups.Add(group);
        }

        return new ParseResult<HaResources>(diagnostics.HasErrors ? null : new HaResources(groups.ToImmutable()), diagnostics.Items);
    }

    /// <summary>
    /// 3.0.6 reads haresources with fgets into a buffer of MAXLINE (5120) bytes, MAXLINE - 1 at a time (config.c,
    /// parse_ha_resources), so a physical line longer than this is cut and its rest read as a line of its own, whose
    /// first word is then not a node: "ERROR: Bad nodename in /etc/ha.d//haresources [8]", heartbeat not started
    /// (measured: one group of 256 IPaddr2 VIPs on one 7567-byte line).
    /// </summary>
    public const int MaxLine306 = 5118;

    private static IEnumerable<(int Line, string Text, bool BrokenContinuation)> LogicalLines(ReadOnlySpan<byte> content, DiagnosticBag diagnostics)
    {
        var result = new List<(int, string, bool)>();
        string? pending = null;
        int pendingLine = 0;
        bool previousBroken = false;
        foreach (var line in ConfigLines.Split(content))
        {
            string raw = line.Text;
            if (raw.Length > MaxLine306)
            {
                diagnostics.Warning(line.Number, $"line is {raw.Length} characters long; Heartbeat 3.0.6 reads {MaxLine306} at a time and refuses the whole file (\"Bad nodename in … haresources\")",
                    "HeartbeatNet reads it whole; for a cluster with 3.0.6 nodes split the group over several lines, each but the last ending in '\\'");
            }

            bool continues = raw.EndsWith('\\');
            string body = continues ? raw[..^1] : raw;
            string text = ConfigLines.StripComment(body);
            if (pending is null)
            {
                pendingLine = line.Number;
                pending = text;
            }
            else
            {
                pending += " " + text;
            }

            // A '#' comment before the backslash also ends the logical line's content, but the join still happens,
            // as in ResourceManager's reader; only a trailing '\' as the very last character joins lines.
            if (!continues)
            {
                result.Add((pendingLine, pending, previousBroken));
                previousBroken = raw.TrimEnd(' ', '\t').EndsWith('\\');
                pending = null;
            }
        }

        if (pending is not null)
        {
            result.Add((pendingLine, pending, previousBroken));
        }

        return result;
    }

    private static ResourceSpec? ParseResource(string word, int line, DiagnosticBag diagnostics)
    {
        if (IpShorthand().IsMatch(word))
        {
            // Any token starting with four dot-separated digit groups means IPaddr::token.
            var ip = ParseIp(word, "IPaddr", line, diagnostics);
            if (ip is not null && ip.Interface is null)
            {
                diagnostics.Note(line, $"'{word}' names no interface; HeartbeatNet finds it from the connected route covering {ip.Address}", "Heartbeat 3.0.6's IPaddr agent assumes eth0 and fails on a NIC with another name (\"nic [eth0] Calculated nic: [ens18]\"); for a real 3.0.6 node write IPaddr2::" + word + "/24/<nic>");
            }

            return ip is null ? null : new ResourceSpec(word, "IPaddr", [word], true, ip);
        }

        string[] parts = word.Split("::");
        if (parts[0].Length == 0 || parts.Skip(1).Any(p => p.Length == 0))
        {
            diagnostics.Error(line, $"resource '{word}' has an empty script name or argument", "write script::arg1::arg2");
            return null;
        }

        if (parts[0].Contains('/', StringComparison.Ordinal))
        {
            diagnostics.Error(line, $"resource script '{parts[0]}' contains '/'", "name a script in /etc/ha.d/resource.d or /etc/init.d, not a path");
            return null;
        }

        var arguments = parts.Skip(1).ToImmutableArray();
        IpResourceSpec? address = null;
        if (parts[0] is "IPaddr" or "IPaddr2" or "IPv6addr")
        {
            if (arguments.Length == 0)
            {
                diagnostics.Error(line, parts[0] == "IPv6addr"
                    ? "IPv6addr needs an address: IPv6addr::ipv6addr[/prefix[/nic]]"
                    : $"{parts[0]} needs an address: {parts[0]}::ip[/cidr[/nic[:label][/broadcast]]]");
                return null;
            }

            if (parts[0] != "IPaddr" && Ipv6ArgumentJoined(arguments) is { } joined)
            {
                // A compressed IPv6 address contains '::', the resource line's argument separator: what the line split
                // is one address. 3.0.6 passes the pieces as separate arguments, and its agent then fails.
                diagnostics.Note(line, $"{parts[0]}: '{joined}' contains '::', which a Heartbeat 3.0.6 node splits into separate arguments", "HeartbeatNet reads it as one address; for a real 3.0.6 peer write the address without '::' (every group of the eight written, e.g. fd00:0:0:0:0:0:0:10)");
                arguments = [joined];
            }

            // IPaddr is IPv4 only (in 3.0.6 too): its IPv6 address is refused as not IPv4.
            address = parts[0] == "IPv6addr" || (parts[0] == "IPaddr2" && LooksLikeIpv6(arguments[0]))
                ? ParseIpv6(arguments[0], parts[0], line, diagnostics)
                : ParseIp(arguments[0], parts[0], line, diagnostics);
            if (address is null)
            {
                return null;
            }

            if (parts[0] == "IPaddr2" && address.Address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                diagnostics.Note(line, $"IPaddr2 with the IPv6 address {address.Address}: HeartbeatNet adds it natively, but a Heartbeat 3.0.6 node cannot run this line", "3.0.6's IPaddr2 wrapper sets lvs_support=1, which the IPaddr2 agent of resource-agents refuses for IPv6; for a real 3.0.6 peer write IPv6addr::" + arguments[0]);
            }
        }

        return new ResourceSpec(word, parts[0], arguments, false, address);
    }

    private static IpResourceSpec? ParseIp(string text, string agent, int line, DiagnosticBag diagnostics)
    {
        string[] parts = text.Split('/');
        if (!IPAddress.TryParse(parts[0], out var address) || address.AddressFamily != AddressFamily.InterNetwork || parts[0].Count(c => c == '.') != 3)
        {
            diagnostics.Error(line, $"{agent}: '{parts[0]}' is not an IPv4 address");
            return null;
        }

        int? prefix = null;
        if (parts.Length > 1 && parts[1].Length > 0)
        {
            if (int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int bits) && bits <= 32)
            {
                prefix = bits;
            }
            else if (IPAddress.TryParse(parts[1], out var mask) && ToPrefix(mask) is int fromMask)
            {
                prefix = fromMask;
            }
            else
            {
                diagnostics.Error(line, $"{agent}: netmask '{parts[1]}' is neither a prefix length 0-32 nor a dotted netmask");
                return null;
            }
        }

        string? nic = null;
        string? label = null;
        IPAddress? broadcast = null;
        int next = 2;
        if (parts.Length > 2 && parts[2].Length > 0)
        {
            if (IPAddress.TryParse(parts[2], out var third) && parts[2].Count(c => c == '.') == 3)
            {
                broadcast = third; // IPaddr reads a numeric third field as the broadcast address.
                next = 3;
            }
            else
            {
                string[] nicLabel = parts[2].Split(':', 2);
                nic = nicLabel[0];
                label = nicLabel.Length > 1 ? nicLabel[1] : null;
                if (nic.Length is 0 or > 15 || (label is not null && label.Length == 0))
                {
                    diagnostics.Error(line, $"{agent}: '{parts[2]}' is not an interface name (1-15 characters) with an optional :label");
                    return null;
                }

                next = 3;
            }
        }

        if (parts.Length > next && parts[next].Length > 0)
        {
            if (broadcast is not null || !IPAddress.TryParse(parts[next], out broadcast) || broadcast.AddressFamily != AddressFamily.InterNetwork)
            {
                diagnostics.Error(line, $"{agent}: '{parts[next]}' is not a broadcast address");
                return null;
            }

            next++;
        }

        if (parts.Length > next)
        {
            diagnostics.Error(line, $"{agent}: too many '/' fields in '{text}'", "ip[/cidr[/nic[:label][/broadcast]]]");
            return null;
        }

        return new IpResourceSpec(address, prefix, nic, label, broadcast);
    }

    /// <summary>The arguments joined back with '::' when that makes an IPv6 address (with any /prefix/nic after it).</summary>
    private static string? Ipv6ArgumentJoined(ImmutableArray<string> arguments)
    {
        if (arguments.Length < 2)
        {
            return null;
        }

        string joined = string.Join("::", arguments);
        return IPAddress.TryParse(joined.Split('/')[0], out var address) && address.AddressFamily == AddressFamily.InterNetworkV6 ? joined : null;
    }

    private static bool LooksLikeIpv6(string text) => text.Split('/')[0].Contains(':', StringComparison.Ordinal);

    /// <summary><c>ipv6addr[/prefix[/nic]]</c>: IPv6 addresses have no broadcast, and the kernel keeps no label for them.</summary>
    private static IpResourceSpec? ParseIpv6(string text, string agent, int line, DiagnosticBag diagnostics)
    {
        string[] parts = text.Split('/');
        if (!IPAddress.TryParse(parts[0], out var address) || address.AddressFamily != AddressFamily.InterNetworkV6 || parts[0].Contains('%', StringComparison.Ordinal))
        {
            diagnostics.Error(line, $"{agent}: '{parts[0]}' is not an IPv6 address");
            return null;
        }

        if (address.IsIPv6Multicast || address.IsIPv6LinkLocal || IPAddress.IPv6Loopback.Equals(address) || IPAddress.IPv6Any.Equals(address))
        {
            diagnostics.Error(line, $"{agent}: {address} is not a unicast address a VIP can be", "use a global or unique local address (e.g. fd00::10)");
            return null;
        }

        int? prefix = null;
        if (parts.Length > 1 && parts[1].Length > 0)
        {
            if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int bits) || bits is 0 or > 128)
            {
                diagnostics.Error(line, $"{agent}: prefix length '{parts[1]}' is not 1-128");
                return null;
            }

            prefix = bits;
        }

        string? nic = null;
        if (parts.Length > 2 && parts[2].Length > 0)
        {
            nic = parts[2];
            if (nic.Length > 15 || nic.Contains(':', StringComparison.Ordinal))
            {
                diagnostics.Error(line, $"{agent}: '{nic}' is not an interface name (1-15 characters; IPv6 addresses take no :label)");
                return null;
            }
        }

        if (parts.Length > 3)
        {
            diagnostics.Error(line, $"{agent}: too many '/' fields in '{text}'", "ipv6addr[/prefix[/nic]]");
            return null;
        }

        return new IpResourceSpec(address, prefix, nic, null, null);
    }

    private static int? ToPrefix(IPAddress mask)
    {
        if (mask.AddressFamily != AddressFamily.InterNetwork)
        {
            return null;
        }

        uint bits = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(mask.GetAddressBytes());
        int prefix = System.Numerics.BitOperations.PopCount(bits);
        return bits == (prefix == 0 ? 0 : uint.MaxValue << (32 - prefix)) ? prefix : null;
    }

    [GeneratedRegex(@"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+", RegexOptions.CultureInvariant)]
    private static partial Regex IpShorthand();
}
