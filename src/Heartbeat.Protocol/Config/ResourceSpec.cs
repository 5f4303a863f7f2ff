using System.Collections.Immutable;
using System.Net;

namespace Heartbeat.Protocol.Config;

/// <summary>
/// The address part of an IP resource: <c>ip[/cidr[/nic[:label][/broadcast]]]</c>, or for IPv6 (IPv6addr, IPaddr2)
/// <c>ipv6addr[/prefix[/nic]]</c> without label or broadcast. Missing prefix or NIC are
/// found at run time from the connected route that covers the address, as Heartbeat's findif should.
/// </summary>
public sealed record IpResourceSpec(IPAddress Address, int? PrefixLength, string? Interface, string? Label, IPAddress? Broadcast);

/// <summary>One resource of a group: <c>script[::arg…]</c>, or an IPv4 shorthand that means <c>IPaddr::…</c>.</summary>
/// <param name="Text">The resource exactly as written; the first resource's text is the group key on the wire.</param>
/// <param name="Script">IPaddr, IPaddr2, IPv6addr, or a script in resource.d / init.d.</param>
/// <param name="Arguments">The '::'-separated arguments, passed before start/stop/status.</param>
/// <param name="IsIpShorthand">Written as a bare address (the article's <c>server1 10.10.10.1</c>).</param>
/// <param name="Ip">For IPaddr, IPaddr2 and IPv6addr: the parsed address (IPv4 or IPv6), handled natively.</param>
public sealed record ResourceSpec(string Text, string Script, ImmutableArray<string> Arguments, bool IsIpShorthand, IpResourceSpec? Ip)
{
    public bool IsIpAddress => Ip is not null;
}

/// <summary>One haresources line: the preferred node and the resources, started left to right and stopped right to left.</summary>
public sealed record ResourceGroupSpec(string Node, ImmutableArray<ResourceSpec> Resources, int Line)
{
    /// <summary>The first resource's text identifies the group on the wire (<c>ip-request ipaddr=…</c>).</summary>
    public string Key => Resources[0].Text;
}

/// <summary>The whole haresources file: the groups in file order.</summary>
public sealed record HaResources(ImmutableArray<ResourceGroupSpec> Groups);
