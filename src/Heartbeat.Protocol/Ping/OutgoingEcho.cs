namespace Heartbeat.Protocol.Ping;

/// <summary>
/// An echo request for the shell to send to every host of ping node number <paramref name="Node"/> (ha.cf's order,
/// <see cref="PingNodeState.Index"/>), on the ICMPv6 socket when <paramref name="Ipv6"/>. The bytes live in the
/// node's own buffer: send them before the node's next input.
/// </summary>
public readonly record struct OutgoingEcho(int Node, bool Ipv6, ReadOnlyMemory<byte> Packet);
