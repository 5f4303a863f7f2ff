using Heartbeat.Protocol.Config;

namespace Heartbeat.Protocol.Fencing;

/// <summary>
/// A reset for the shell to carry out (<c>stonith -t TYPE … -T reset NODE</c>): killed when it outlives
/// <paramref name="Timeout"/>, and reported with <see cref="Node.ClusterNode.FenceFinished"/> whatever happened.
/// </summary>
/// <param name="Node">The node to reset.</param>
/// <param name="Attempt">1 for the first, counting retries.</param>
public readonly record struct FenceRequest(string Node, int Attempt, StonithDevice Device, TimeSpan Timeout);
