namespace Heartbeat.Protocol.Control;

/// <summary>
/// One ping node as <c>hbctl status</c> shows it: its kind (ping, ping6, ping_group) and hosts, its status (init,
/// ping, dead: what <c>cl_status nodestatus</c> prints), its one link, the time since its last authenticated reply,
/// requests sent and replies counted.
/// </summary>
public sealed record PingNodeReport(string Name, string Kind, IReadOnlyList<string> Hosts, string Status, bool LinkUp, long? LastReplyMilliseconds, long Probes, long Replies);

/// <summary>
/// The built-in ipfail: the ping nodes we see, what the other node last said it sees, the count we last sent, and the
/// decision pending (a delayed giveup: which groups and in how long; or waiting for the other side to be stable).
/// </summary>
public sealed record IpfailReport(int Ours, int? Theirs, int? LastSent, string? PendingGiveup, long? GiveupInMilliseconds, bool WaitingForStability, bool AutoFailback, long ForeignReplies);
