using Heartbeat.Protocol.Membership;

namespace Heartbeat.Protocol.Ping;

/// <summary>
/// 3.0.6: "Status update for node X: status ping": a ping node answered (first reply, or the first after it was
/// dead). Kept apart from <see cref="NodeStatusChanged"/>: a ping node is no cluster member and moves no resources
/// by itself.
/// </summary>
public sealed record PingNodeUp(string Node, string OldStatus) : MembershipEvent;

/// <summary>
/// 3.0.6: "node X: is dead" for a ping node: no authenticated reply for <see cref="Window"/> (deadping, or initdead
/// until communication is up). <see cref="NeverHeard"/>: it never answered since start.
/// </summary>
public sealed record PingNodeDead(string Node, TimeSpan Silence, TimeSpan Window, bool NeverHeard) : MembershipEvent;
