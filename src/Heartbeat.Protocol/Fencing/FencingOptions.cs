namespace Heartbeat.Protocol.Fencing;

/// <summary>The timers of fencing.</summary>
/// <param name="AttemptTimeout">
/// How long one reset may run before it is killed and counts as failed. 3.0.6 has no limit (a hung plugin blocks the
/// takeover for good); a limit turns a hang into a retry.
/// </param>
/// <param name="RetryInterval">Between a failed attempt and the next: 3.0.6 retries every 5 s (StonithProcessDied).</param>
/// <param name="ContenderDelay">
/// How long the node that does not hold the groups waits before it resets the other (the idea of Pacemaker's
/// priority-fencing-delay): when only the links are cut, both nodes see the other die at once, and the holder's reset
/// must land first so the service does not move. Must exceed the device's reset time.
/// </param>
public sealed record FencingOptions(TimeSpan AttemptTimeout, TimeSpan RetryInterval, TimeSpan ContenderDelay)
{
    /// <summary>3.0.6's retry; a minute per attempt (meatware waits for its operator that long per round); a 15 s delay.</summary>
    public static FencingOptions Default { get; } = new(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15));
}
