namespace Heartbeat.Protocol.Config;

/// <summary>What the config checks need to know about the machine, supplied by the I/O shell (or a test).</summary>
public interface IHostFacts
{
    /// <summary>This machine's <c>uname -n</c>.</summary>
    string NodeName { get; }

    /// <summary>The interface of that name, or null when it does not exist.</summary>
    InterfaceFacts? FindInterface(string name);

    /// <summary>Whether a ucast peer (address or host name) resolves to an IPv4 address.</summary>
    bool CanResolve(string host);
}

/// <summary>An interface as the checks see it.</summary>
public sealed record InterfaceFacts(string Name, bool HasIpv4Address, bool HasIpv4Broadcast);

/// <summary>The checks of ha.cf that depend on the machine it runs on (config-reference.md §1.3, §1.4).</summary>
public static class HostChecks
{
    /// <param name="haCf">The parsed file.</param>
    /// <param name="path">For diagnostics.</param>
    /// <param name="host">The machine; null skips the interface and name-resolution checks.</param>
    /// <param name="nodeName">The node name to check for (--node), or null to use the host's uname -n.</param>
    public static IEnumerable<ConfigDiagnostic> Check(HaCf haCf, string path, IHostFacts? host, string? nodeName)
    {
        var bag = new DiagnosticBag(path);
        string? self = (nodeName ?? host?.NodeName)?.ToLowerInvariant();
        if (self is not null && haCf.Nodes.Length > 0 && !haCf.HasNode(self))
        {
            // 3.0.6 reports it without a line; the first node line is where the fix goes.
            bag.Error(haCf.Nodes[0].Line, $"Current node [{self}] not in configuration!", $"node names come from 'uname -n'; add 'node {self}' or set the host name to one of: {string.Join(", ", haCf.Nodes.Select(n => n.Name))}");
        }

        if (host is not null)
        {
            foreach (var medium in haCf.Media)
            {
                var iface = host.FindInterface(medium.Interface);
                if (iface is null)
                {
                    bag.Error(medium.Line, $"IP interface [{medium.Interface}] does not exist", "check 'ip link'; interface names differ between machines (eth0, ens18, …)");
                    continue;
                }

                if (medium is BroadcastMedium && !iface.HasIpv4Broadcast)
                {
                    bag.Error(medium.Line, $"interface {medium.Interface} has no IPv4 broadcast address, so bcast cannot send", $"add the address with a broadcast: ip addr add ADDR/PREFIX brd + dev {medium.Interface}");
                }

                if (medium is UnicastMedium unicast && !host.CanResolve(unicast.Peer))
                {
                    bag.Error(medium.Line, $"ucast peer '{unicast.Peer}' does not resolve to an IPv4 address");
                }
            }
        }

        return bag.Items;
    }
}
