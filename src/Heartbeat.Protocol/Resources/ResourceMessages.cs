namespace Heartbeat.Protocol.Resources;

/// <summary>
/// The v1 resource protocol's message types (the <c>t</c> field), as 3.0.6 sends them (behaviour.md §3–6): the
/// nice_failback exchange, the legacy ip-request exchange, the standby protocol and the STONITH notice.
/// </summary>
public static class ResourceMessages
{
    public const string Starting = "starting";
    public const string Resource = "resource";
    public const string AskResources = "ask_resources";
    public const string HbTakeover = "hb_takeover";
    public const string IpRequest = "ip-request";
    public const string IpRequestResponse = "ip-request-resp";
    public const string Stonith = "stonith";
}

/// <summary>Fields of the resource messages beyond the common control fields of <see cref="Wire.WireFields"/>.</summary>
public static class ResourceFields
{
    /// <summary>The class held or moved: none, local, foreign, all (or, in hb_takeover, failback).</summary>
    public const string RscHold = "rsc_hold";

    /// <summary><c>full</c> on a full report; a partial one (mach_down) has none.</summary>
    public const string ReportType = "rtype";

    public const string IsStable = "isstable";
    public const string Info = "info";

    /// <summary>The group's key (legacy).</summary>
    public const string IpAddress = "ipaddr";

    public const string WeOwn = "weown";
    public const string Ok = "ok";

    /// <summary>The STONITH notice's node and result.</summary>
    public const string Node = "node";

    public const string Result = "result";
}
