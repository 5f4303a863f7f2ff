using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Heartbeat.Integration.Tests.Support;

namespace Heartbeat.Bench;

/// <summary>
/// Where the time of one crash takeover goes, seen from the surviving node, on one wall clock: the victim's last
/// heartbeat (or VRRP advert) arriving, the survivor declaring it dead (the line appearing in its log), the VIP
/// appearing on the survivor's interface (rtnetlink, <c>ip -ts monitor</c>), the survivor's first gratuitous ARP on
/// the wire (tcpdump), and the client's first successful connection. Our daemon also reports the decision → first ARP
/// in microseconds from inside the process.
/// </summary>
public sealed partial class TakeoverTimeline : IDisposable
{
    private readonly PacketCapture _capture;
    private readonly Process _monitor;
    private readonly List<string> _monitored = [];
    private readonly string _logPath;
    private readonly string? _deathMarker;
    private readonly string _victimAddress;
    private readonly LogStamps? _logWatcher;
    private readonly CancellationTokenSource _stop = new();
    private readonly long _logStart;
    private string _logTail = string.Empty;

    /// <param name="deathMarker">
    /// The survivor's log line that says it took the victim for dead, watched as it appears; null for ours, which
    /// stamps its decision itself (its log is written after the ARP).
    /// </param>
    public TakeoverTimeline(Lab lab, LabNode survivor, LabNode victim, string logPath, string? deathMarker)
    {
        (_logPath, _deathMarker, _victimAddress) = (logPath, deathMarker, victim.Address);
        _logStart = File.Exists(logPath) ? new FileInfo(logPath).Length : 0;
        // ICMPv6 type 136 (a neighbour advertisement, right after the fixed IPv6 header): IPv6's gratuitous ARP.
        _capture = new PacketCapture(lab.Netns(survivor), "udp port 694 or arp or ip proto 112 or (icmp6 and ip6[40] == 136)");
        _monitor = Spawn(["ip", "netns", "exec", lab.Netns(survivor), "ip", "-ts", "monitor", "address"], _monitored);

        if (deathMarker is not null)
        {
            _logWatcher = new LogStamps(logPath);
        }
    }

    /// <summary>The timeline after <paramref name="mark"/> (the fault), with the client's first success given.</summary>
    public Breakdown Read(DateTimeOffset mark, DateTimeOffset? clientBack, string vip)
    {
        bool v6 = vip.Contains(':', StringComparison.Ordinal);
        // Let tcpdump and the monitor print what they saw, then stop them.
        Thread.Sleep(300);
        Stop();
        DateTimeOffset? lastHeartbeat = null;
        DateTimeOffset? firstArp = null;
        foreach (string line in _capture.Lines())
        {
            if (CaptureTime(line) is not { } at)
            {
                continue;
            }

            // Heartbeats leave from any port to 694: "IP a.b.c.d.port > x.694:"; VRRP adverts "IP a.b.c.d > 224.0.0.18".
            if ((line.Contains($" IP {_victimAddress}.", StringComparison.Ordinal) && line.Contains(".694:", StringComparison.Ordinal) || line.Contains($" IP {_victimAddress} > ", StringComparison.Ordinal)) && at <= (firstArp ?? DateTimeOffset.MaxValue))
            {
                lastHeartbeat = lastHeartbeat is { } h && h > at ? h : at;
            }

            if (at > mark && firstArp is null && Announces(line, vip))
            {
                firstArp = at;
            }
        }

        // IPv6: the address appears tentative, and the kernel notifies again when duplicate address detection has
        // passed (the flag cleared); only then does the kernel accept traffic for it. keepalived adds its VIPs nodad.
        DateTimeOffset? vipAdded = null;
        DateTimeOffset? vipUsable = null;
        string family = v6 ? "inet6" : "inet";
        foreach (string line in Snapshot(_monitored))
        {
            if (MonitorTime(line) is { } at && at > mark && line.Contains($"{family} {vip}/", StringComparison.Ordinal) && !line.Contains("Deleted", StringComparison.Ordinal))
            {
                vipAdded ??= at;
                if (!v6 || !line.Contains("tentative", StringComparison.Ordinal))
                {
                    vipUsable = at;
                    break;
                }
            }
        }

        // Ours says when it decided (same loop turn as the death, µs wall clock) and how long until the frames went to
        // the kernel; the wire's own stamp of the first ARP minus that decision is its takeover path.
        string log = _logTail;
        double? inProcess = null;
        DateTimeOffset? decided = null;
        if (OurFirstAnnouncement().Match(log) is { Success: true } m)
        {
            inProcess = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) / 1000;
            decided = DateTimeOffset.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        }

        var dead = decided ?? (_deathMarker is { } marker ? _logWatcher?.First(marker) : null);
        return new Breakdown(
            Since(lastHeartbeat, mark),
            Since(dead, lastHeartbeat),
            Since(vipAdded, lastHeartbeat),
            Since(firstArp, lastHeartbeat),
            Since(clientBack, lastHeartbeat),
            firstArp is { } arp && dead is { } d ? (arp - d).TotalMilliseconds : null,
            inProcess)
        {
            VipUsable = v6 ? Since(vipUsable, lastHeartbeat) : null,
        };
    }

    /// <summary>Keeps the raw evidence of the trial (capture, address monitor, the survivor's log from the fault on).</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllLines(Path.Join(directory, "capture.txt"), _capture.Lines());
        File.WriteAllLines(Path.Join(directory, "addresses.txt"), Snapshot(_monitored));
        File.WriteAllText(Path.Join(directory, "survivor.log"), _logTail);
    }

    public void Dispose()
    {
        Stop();
        _capture.Dispose();
        _monitor.Dispose();
        _stop.Dispose();
        _logWatcher?.Dispose();
    }

    private static double? Since(DateTimeOffset? at, DateTimeOffset? origin) => at is { } a && origin is { } o ? (a - o).TotalMilliseconds : null;

    private void Stop()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        _stop.Cancel();
        _capture.Stop();
        try
        {
            Lab.Signal(_monitor.Id, "INT");
            if (!_monitor.WaitForExit(5000))
            {
                _monitor.Kill(entireProcessTree: true);
            }

            _monitor.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _logWatcher?.Stop();
        _logTail = _logWatcher?.Text ?? ReadFrom(_logPath, _logStart);
    }

    private static string ReadFrom(string path, long offset)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            file.Position = Math.Min(offset, file.Length);
            using var reader = new StreamReader(file, Encoding.UTF8);
            return reader.ReadToEnd();
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    /// <summary>
    /// Whether a tcpdump line is a gratuitous ARP for <paramref name="vip"/>: "who-has VIP tell VIP" (keepalived adds
    /// the target MAC in brackets) or "Reply VIP is-at"; IPv6: an unsolicited neighbour advertisement to all nodes,
    /// "&gt; ff02::1: ICMP6, neighbor advertisement, tgt is VIP," (a solicited one goes to the asker's unicast address).
    /// </summary>
    internal static bool Announces(string line, string vip) => vip.Contains(':', StringComparison.Ordinal)
        ? line.Contains("> ff02::1: ICMP6, neighbor advertisement, tgt is " + vip + ",", StringComparison.Ordinal)
        : (line.Contains($"who-has {vip} ", StringComparison.Ordinal) && line.Contains($"tell {vip},", StringComparison.Ordinal)) || line.Contains($"Reply {vip} is-at", StringComparison.Ordinal);

    /// <summary>tcpdump's <c>-tt</c> stamp at the start of a line (epoch seconds, µs).</summary>
    internal static DateTimeOffset? CaptureTime(string line)
    {
        int space = line.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 && decimal.TryParse(line.AsSpan(0, space), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal epoch)
            ? DateTimeOffset.UnixEpoch.AddTicks((long)(epoch * TimeSpan.TicksPerSecond))
            : null;
    }

    /// <summary><c>ip -ts monitor</c>'s stamp, "[yyyy-MM-ddTHH:mm:ss.ffffff]", in local time (or UTC where the monitor ran with TZ=UTC).</summary>
    internal static DateTimeOffset? MonitorTime(string line, bool utc = false) =>
        line.StartsWith('[') && line.IndexOf(']', StringComparison.Ordinal) is > 1 and var end
            && DateTime.TryParseExact(line.AsSpan(1, end - 1), "yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture, utc ? DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal : DateTimeStyles.AssumeLocal, out var at)
            ? new DateTimeOffset(at)
            : null;

    private static List<string> Snapshot(List<string> lines)
    {
        lock (lines)
        {
            return [.. lines];
        }
    }

    private static Process Spawn(string[] command, List<string> into)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in command[1..])
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (into)
                {
                    into.Add(e.Data);
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    [GeneratedRegex(@"first (?:gratuitous ARP|neighbour advertisement) handed to the kernel (\d+) µs after the acquisition was decided .*decided at (\S+)\)")]
    private static partial Regex OurFirstAnnouncement();
}

/// <summary>
/// One crash takeover in milliseconds from the victim's last heartbeat seen by the survivor (LastHeartbeatAfterFault: that
/// heartbeat relative to the fault; negative when it came before). TakeoverPath = first ARP on the wire − death logged;
/// InProcess = our daemon's own decision → first ARP.
/// </summary>
/// For an IPv6 VIP, FirstArp is the first unsolicited neighbour advertisement, and VipUsable the end of duplicate address
/// detection (the address no longer tentative).
public sealed record Breakdown(double? LastHeartbeatAfterFault, double? DeathDeclared, double? VipOnInterface, double? FirstArp, double? ClientBack, double? TakeoverPath, double? InProcess)
{
    public double? VipUsable { get; init; }
}
