namespace Heartbeat.Protocol.Node;

/// <summary>
/// An rc.d hook to run (behaviour.md §10): <paramref name="Hook"/> is the message type (or <c>status</c> for a node's
/// status change), <paramref name="Environment"/> its HA_* variables as <see cref="Resources.RcHooks.Environment"/>
/// builds them. The shell runs it only if an executable of that name, other than the stock hook, is installed.
/// </summary>
public readonly record struct HookRequest(string Hook, IReadOnlyDictionary<string, string> Environment);
