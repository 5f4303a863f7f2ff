using System.Net;
using Heartbeat.Protocol.Config;

namespace Heartbeat.Protocol.Resources;

/// <summary>A directly connected network of an interface (IPv4: a kernel route of scope link; IPv6: a route without gateway).</summary>
public sealed record ConnectedRoute(string Interface, IPAddress Network, int PrefixLength)
{
    public bool Covers(IPAddress address) => address.AddressFamily == Network.AddressFamily && IpMath.SameNetwork(address, Network, PrefixLength);
}

/// <summary>Where and how a VIP goes: the fully resolved form of an <see cref="IpResourceSpec"/>.</summary>
public sealed record IpPlacement(IPAddress Address, int PrefixLength, string Interface, IPAddress? Broadcast, string? Label)
{
    public override string ToString() => $"{Address}/{PrefixLength} dev {Interface}{(Broadcast is null ? string.Empty : $" brd {Broadcast}")}{(Label is null ? string.Empty : $" label {Label}")}";
}

/// <summary>The placement, or why there is none.</summary>
public sealed record IpPlacementResult(IpPlacement? Placement, string? Problem);

/// <summary>
/// Heartbeat's <c>findif</c>, done right: a missing NIC or prefix comes from the interface whose connected route covers
/// the address (longest prefix wins); a given NIC must have such a route unless the prefix is given too. 3.0.6's IPaddr
/// assumed eth0 instead and failed on the article's <c>server1 10.10.10.1</c> with a NIC named ens18.
/// </summary>
public static class IpPlacementResolver
{
    /// <summary>The kernel's limit for an address label (IFNAMSIZ - 1).</summary>
    public const int MaxLabelLength = 15;

    public static IpPlacementResult Resolve(ResourceSpec resource, IReadOnlyList<ConnectedRoute> routes, IReadOnlyCollection<string> labelsInUse)
    {
        var spec = resource.Ip ?? throw new ArgumentException($"{resource.Text} is not an IP resource", nameof(resource));
        var covering = routes
            .Where(r => r.Covers(spec.Address) && (spec.Interface is null || r.Interface == spec.Interface))
            .OrderByDescending(r => r.PrefixLength)
            .FirstOrDefault();
        string? nic = spec.Interface ?? covering?.Interface;
        int? prefix = spec.PrefixLength ?? covering?.PrefixLength;
        if (nic is null)
        {
            return new IpPlacementResult(null, $"no interface has a connected network that covers {spec.Address}; write the NIC: {Example(resource)}::{spec.Address}/PREFIX/NIC");
        }

        if (prefix is null)
        {
            return new IpPlacementResult(null, $"{nic} has no connected network that covers {spec.Address}, so the prefix is unknown; write it: {Example(resource)}::{spec.Address}/PREFIX/{nic}");
        }

        if (IsIpv6(spec.Address))
        {
            // IPv6 has no broadcast, and the kernel keeps no label for an IPv6 address.
            return new IpPlacementResult(new IpPlacement(spec.Address, prefix.Value, nic, null, null), null);
        }

        var broadcast = spec.Broadcast ?? (prefix < 31 ? IpMath.Broadcast(spec.Address, prefix.Value) : null);
        string? label = resource.Script switch
        {
            // IPaddr (and the bare-address shorthand) made an alias interface, ens18:0, ens18:1, …; keep that name.
            "IPaddr" => spec.Label is { } l ? $"{nic}:{l}" : FirstFreeAlias(nic, labelsInUse),
            _ => spec.Label is { } l2 ? $"{nic}:{l2}" : null,
        };
        if (label is { Length: > MaxLabelLength })
        {
            return new IpPlacementResult(null, $"label '{label}' is longer than the kernel's {MaxLabelLength} characters");
        }

        return new IpPlacementResult(new IpPlacement(spec.Address, prefix.Value, nic, broadcast, label), null);
    }

    private static bool IsIpv6(IPAddress address) => address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;

    private static string Example(ResourceSpec resource) => IsIpv6(resource.Ip!.Address) ? resource.Script : "IPaddr2";

    private static string FirstFreeAlias(string nic, IReadOnlyCollection<string> labelsInUse)
    {
        for (int n = 0; ; n++)
        {
            string candidate = $"{nic}:{n}";
            if (!labelsInUse.Contains(candidate))
            {
                return candidate;
            }
        }
    }
}

/// <summary>IPv4 arithmetic on 32-bit values; <see cref="SameNetwork"/> takes IPv6 too.</summary>
public static class IpMath
{
    public static uint ToUInt32(IPAddress address)
    {
        byte[] b = address.GetAddressBytes();
        return ((uint)b[0] << 24) | ((uint)b[1] << 16) | ((uint)b[2] << 8) | b[3];
    }

    public static IPAddress FromUInt32(uint value) => new([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);

    public static uint Mask(int prefixLength) => prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength);

    public static bool SameNetwork(IPAddress a, IPAddress b, int prefixLength)
    {
        if (a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return (ToUInt32(a) & Mask(prefixLength)) == (ToUInt32(b) & Mask(prefixLength));
        }

        // IPv6: the first prefixLength bits, byte by byte.
        byte[] x = a.GetAddressBytes();
        byte[] y = b.GetAddressBytes();
        if (x.Length != y.Length)
        {
            return false;
        }

        int whole = Math.Min(prefixLength / 8, x.Length);
        if (!x.AsSpan(0, whole).SequenceEqual(y.AsSpan(0, whole)))
        {
            return false;
        }

        int rest = prefixLength % 8;
        if (rest == 0 || whole >= x.Length)
        {
            return true;
        }

        int mask = 0xFF << (8 - rest) & 0xFF;
        return (x[whole] & mask) == (y[whole] & mask);
    }

    public static IPAddress Broadcast(IPAddress address, int prefixLength) => FromUInt32(ToUInt32(address) | ~Mask(prefixLength));
}
