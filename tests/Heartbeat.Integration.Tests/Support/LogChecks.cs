namespace Heartbeat.Integration.Tests.Support;

/// <summary>What a real 3.0.6 node logs when a peer's packets are wrong (running-real-heartbeat.md, "Where to look").</summary>
internal static class LogChecks
{
    public static readonly string[] ProtocolTrouble =
    [
        "authentication failed", "authtoken does not match", "lost packet(s)", "Message hist queue is filling up",
        "flow control disabled", "bad node", "attempted replay attack", "Invalid authentication", "peel_netstring",
        "missing from/ts/type", "missing seqno", "Cannot rexmit", "corrupted ackseq", "Late heartbeat",
    ];

    /// <summary>
    /// The protocol complaints in a real node's log; the harmless lab ERROR about memory locking is not one, nor is a
    /// "Late heartbeat" when 3.0.6 logged that its own main loop ran late ("Gmain_timeout_dispatch: Dispatch function
    /// for … was delayed"): on a loaded 2-core machine 3.0.6 itself is scheduled late and then finds every heartbeat
    /// late, its own included (a clean-clone rehearsal failed on one such line at start-up).
    /// </summary>
    public static string[] TroubleIn(string log)
    {
        bool lateItself = log.Contains("Gmain_timeout_dispatch: Dispatch function", StringComparison.Ordinal);
        return [.. log.Split('\n').Where(line => (ProtocolTrouble.Any(t => line.Contains(t, StringComparison.Ordinal))
                && !(lateItself && line.Contains("Late heartbeat", StringComparison.Ordinal)))
            || (line.Contains("ERROR", StringComparison.Ordinal) && !line.Contains("Cannot lock ourselves into memory", StringComparison.Ordinal)))];
    }
}
