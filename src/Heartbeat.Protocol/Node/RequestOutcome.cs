namespace Heartbeat.Protocol.Node;

/// <summary>The answer to a standby or takeover request: accepted with what happens now, or refused with why.</summary>
public readonly record struct RequestOutcome(bool Accepted, string Message)
{
    public static RequestOutcome Accept(string message) => new(true, message);

    public static RequestOutcome Refuse(string why) => new(false, why);
}
