using System.Globalization;

namespace Heartbeat.Chaos;

/// <summary>The raw lines of the outside evidence turned into records (pure: the tests feed them lines).</summary>
public static class EvidenceParsers
{
    /// <summary>
    /// A line of <c>ip -ts monitor address</c> run with TZ=UTC: "[2026-12-07T17:40:01.123456] 2: ens18    inet
    /// 10.10.10.51/24 …", "Deleted" before the index for a removal. Null for other lines (IPv6, link-local, …).
    /// </summary>
    public static AddressChange? MonitorLine(string node, string line)
    {
        int close = line.IndexOf(']', StringComparison.Ordinal);
        if (!line.StartsWith('[') || close < 2
            || !DateTime.TryParseExact(line.AsSpan(1, close - 1), "yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            return null;
        }

        int inet = line.IndexOf(" inet ", close, StringComparison.Ordinal);
        if (inet < 0)
        {
            return null;
        }

        string rest = line[(inet + 6)..].TrimStart();
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            return null;
        }

        bool deleted = line.AsSpan(close + 1).TrimStart().StartsWith("Deleted", StringComparison.Ordinal);
        return new AddressChange(Epoch(at), node, rest[..slash], !deleted);
    }

    /// <summary>
    /// A header line of <c>tcpdump -l -n -tt -i any udp port 694</c> in the receiver's namespace: "1765128000.123456 ens18 B   IP
    /// 10.10.10.3.694 &gt; 10.10.10.255.694: UDP, length 180". The sender is named by the address map (either medium);
    /// null for the node's own datagrams ("Out") and for strangers.
    /// </summary>
    public static Reception? CaptureLine(string receiver, string line, IReadOnlyDictionary<string, string> nodeOfAddress)
    {
        int space = line.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || !double.TryParse(line.AsSpan(0, space), NumberStyles.Float, CultureInfo.InvariantCulture, out double at))
        {
            return null;
        }

        int ip = line.IndexOf(" IP ", space, StringComparison.Ordinal);
        if (ip < 0 || line.AsSpan(space, ip - space).Contains(" Out", StringComparison.Ordinal))
        {
            return null;
        }

        string source = line[(ip + 4)..];
        int end = source.IndexOf(' ', StringComparison.Ordinal);
        source = end > 0 ? source[..end] : source;
        int port = source.LastIndexOf('.');
        string address = port > 0 ? source[..port] : source;
        return nodeOfAddress.TryGetValue(address, out string? sender) && sender != receiver ? new Reception(at, receiver, sender) : null;
    }

    /// <summary>
    /// The lines of <c>tcpdump -A</c> (<see cref="CaptureLine"/> headers, each followed by its datagram's bytes as text)
    /// in the receiver's namespace: one reception per datagram from a peer, with the message's <c>t=</c>,
    /// <c>rsc_hold=</c> and <c>info=</c> lines. Payload lines belong to the header before them, also when that header
    /// was not a peer's (the node's own, a stranger's): they are then skipped with it.
    /// </summary>
    public static List<Reception> CaptureLines(string receiver, IEnumerable<string> lines, IReadOnlyDictionary<string, string> nodeOfAddress)
    {
        var receptions = new List<Reception>();
        Reception? current = null;
        string? type = null, hold = null, info = null;
        void Flush()
        {
            if (current is not null)
            {
                receptions.Add(type is null ? current : current with { Message = new HbMessage(type, hold, info) });
            }

            (current, type, hold, info) = (null, null, null, null);
        }

        foreach (string line in lines)
        {
            if (IsCaptureHeader(line))
            {
                Flush();
                current = CaptureLine(receiver, line, nodeOfAddress);
                continue;
            }

            if (current is null)
            {
                continue;
            }

            // Only the first of each field counts: a datagram carries one message.
            if (line.StartsWith("t=", StringComparison.Ordinal))
            {
                type ??= line[2..];
            }
            else if (line.StartsWith("rsc_hold=", StringComparison.Ordinal))
            {
                hold ??= line[9..];
            }
            else if (line.StartsWith("info=", StringComparison.Ordinal))
            {
                info ??= line[5..];
            }
        }

        Flush();
        return receptions;
    }

    /// <summary>Whether a tcpdump line is a packet's header (epoch time, then " IP "), not a line of its payload.</summary>
    private static bool IsCaptureHeader(string line)
    {
        int space = line.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 && double.TryParse(line.AsSpan(0, space), NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            && line.IndexOf(" IP ", space, StringComparison.Ordinal) >= 0;
    }

    /// <summary>A line of the counting script's file: "EPOCH NODE ACTION".</summary>
    public static ScriptCall? ScriptLine(string line)
    {
        string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 3 && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double at)
            ? new ScriptCall(at, parts[1], parts[2])
            : null;
    }

    public static double Epoch(DateTimeOffset at) => (at - DateTimeOffset.UnixEpoch).Ticks / (double)TimeSpan.TicksPerSecond;

    private static double Epoch(DateTime utc) => Epoch(new DateTimeOffset(utc, TimeSpan.Zero));
}
