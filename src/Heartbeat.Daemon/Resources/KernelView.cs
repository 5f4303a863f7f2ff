using Heartbeat.Daemon.Net;
using Heartbeat.Protocol.Resources;

namespace Heartbeat.Daemon.Resources;

/// <summary>
/// One dump each of links, routes and addresses, read once for the checks of many VIPs (a group started together),
/// with what the placement needs computed once: the connected routes by interface name and the labels in use.
/// </summary>
internal sealed class KernelView
{
    private readonly ILookup<System.Net.IPAddress, InterfaceAddress> _byAddress;

    private KernelView(IReadOnlyList<LinkInfo> links, IReadOnlyList<RouteInfo> routes, IReadOnlyList<InterfaceAddress> addresses)
    {
        Links = links.ToDictionary(l => l.Index);
        ConnectedRoutes = [.. routes
            .Where(r => r.IsConnected && Links.ContainsKey(r.OutputIndex))
            .Select(r => new ConnectedRoute(Links[r.OutputIndex].Name, r.Destination, r.PrefixLength))];
        Labels = addresses.Where(a => a.Label is not null).Select(a => a.Label!).ToHashSet(StringComparer.Ordinal);
        _byAddress = addresses.ToLookup(a => a.Address);
    }

    public IReadOnlyDictionary<int, LinkInfo> Links { get; }

    public IReadOnlyList<ConnectedRoute> ConnectedRoutes { get; }

    public IReadOnlySet<string> Labels { get; }

    public static KernelView Read(Rtnetlink netlink) => new(netlink.GetLinks(), netlink.GetRoutes(), netlink.GetAddresses());

    /// <summary>Every copy of the address (on any interface, with any prefix).</summary>
    public List<InterfaceAddress> CopiesOf(System.Net.IPAddress address) => [.. _byAddress[address]];

    /// <summary>The first copy of each address configured (what a stop deletes).</summary>
    public static Dictionary<System.Net.IPAddress, InterfaceAddress> ByAddress(IEnumerable<InterfaceAddress> addresses)
    {
        var first = new Dictionary<System.Net.IPAddress, InterfaceAddress>();
        foreach (var a in addresses)
        {
            first.TryAdd(a.Address, a);
        }

        return first;
    }
}
