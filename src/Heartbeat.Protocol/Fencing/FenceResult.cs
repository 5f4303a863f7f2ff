namespace Heartbeat.Protocol.Fencing;

/// <summary>
/// How one reset attempt ended, as 3.0.6's Initiate_Reset classifies the plugin's return (S_OK, S_BADHOST, anything
/// else). A timeout is <see cref="Bad"/>: the host was not reset.
/// </summary>
public enum FenceResult
{
    /// <summary>The node is reset: its groups may be taken (3.0.6 "node X now reset.").</summary>
    Ok,

    /// <summary>The device cannot reset this host (3.0.6 "Device … cannot reset host X.").</summary>
    BadHost,

    /// <summary>The reset failed or did not finish in time (3.0.6 "Host X not reset!").</summary>
    Bad,
}

/// <summary>The <c>result</c> values of 3.0.6's <c>t=stonith</c> message (T_STONITH_* in ha_msg.h).</summary>
public static class StonithResults
{
    public const string Ok = "OK";
    public const string BadHost = "badhost";
    public const string Bad = "bad";

    /// <summary>The dead node had let go of everything: no reset was needed.</summary>
    public const string Unneeded = "unneeded";

    /// <summary>A reset was needed but no device is configured: taken over unprotected.</summary>
    public const string NotConfigured = "n_stnth";

    public static string Of(FenceResult result) => result switch
    {
        FenceResult.Ok => Ok,
        FenceResult.BadHost => BadHost,
        _ => Bad,
    };
}
