namespace Heartbeat.Daemon.Resources;

/// <summary>The result of one action on one resource: success, or the reason it failed (for the log and hbctl).</summary>
public sealed record ResourceOutcome(bool Success, string Detail)
{
    public static ResourceOutcome Ok(string detail) => new(true, detail);

    public static ResourceOutcome Failed(string detail) => new(false, detail);
}

/// <summary>One resource of a group, as the executor drives it.</summary>
public interface IManagedResource
{
    /// <summary>The resource as written in haresources.</summary>
    string Name { get; }

    Task<ResourceOutcome> StartAsync(CancellationToken cancellation);

    Task<ResourceOutcome> StopAsync(CancellationToken cancellation);

    /// <summary>Whether it runs now; a failure to tell counts as not running, as 3.0.6's status test does.</summary>
    Task<bool> IsRunningAsync(CancellationToken cancellation);
}
