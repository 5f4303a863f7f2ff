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
    /// <c>rsc_hold=</c> and <c>info=</c>. Payload lines belong to the header before them, also when that header was not a
    /// peer's (the node's own, a stranger's): they are then skipped with it.
    /// </summary>
    public static List<Reception> CaptureLines(string receiver, IEnumerable<string> lines, IReadOnlyDictionary<string, string> nodeOfAddress)
    {
        var receptions = new List<Reception>();
        Reception? current = null;
        var payload = new System.Text.StringBuilder();
        void Flush()
        {
            if (current is not null)
            {
                receptions.Add(PayloadMessage(payload.ToString()) is { } message ? current with { Message = message } : current);
            }

            current = null;
            payload.Clear();
        }

        foreach (string line in lines)
        {
            if (IsCaptureHeader(line))
            {
                Flush();
                current = CaptureLine(receiver, line, nodeOfAddress);
            }
            else if (current is not null)
            {
                payload.Append(line).Append('\n');
            }
        }

        Flush();
        return receptions;
    }

    /// <summary>
    /// The message fields in a datagram's bytes as <c>tcpdump -A</c> prints them (IP and UDP headers first, unprintable
    /// bytes as dots), in either of 3.0.6's formats: classic text (<c>&gt;&gt;&gt;</c>, one <c>name=value</c> line per
    /// field) or netstring, which 3.0.6 and ours send by default (<c>###</c>, then <c>LEN:(TYPE)name=value,</c>, LEN
    /// counting from the type; wire-format.md). Only the first of each field counts: nested messages come after the
    /// top-level fields. Null when there is no <c>t=</c> (a compressed datagram, a header cut short).
    /// </summary>
    public static HbMessage? PayloadMessage(string payload)
    {
        string? type = Field(payload, "t");
        return type is null ? null : new HbMessage(type, Field(payload, "rsc_hold"), Field(payload, "info"));
    }

    private static string? Field(string payload, string name)
    {
        // Netstring: "14:(0)t=NS_ackmsg," — the value is as long as LEN says, commas and newlines included.
        string tag = "(0)" + name + "=";
        for (int at = payload.IndexOf(":" + tag, StringComparison.Ordinal); at >= 0; at = payload.IndexOf(":" + tag, at + 1, StringComparison.Ordinal))
        {
            int digits = at;
            while (digits > 0 && char.IsAsciiDigit(payload[digits - 1]))
            {
                digits--;
            }

            if (digits < at && int.TryParse(payload.AsSpan(digits, at - digits), NumberStyles.None, CultureInfo.InvariantCulture, out int length)
                && length >= tag.Length && at + 1 + length <= payload.Length)
            {
                return payload.Substring(at + 1 + tag.Length, length - tag.Length);
            }
        }

        // Classic text: the field is a line of its own.
        foreach (string line in payload.Split('\n'))
        {
            if (line.StartsWith(name + "=", StringComparison.Ordinal))
            {
                return line[(name.Length + 1)..];
            }
        }

        return null;
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
