using System.Globalization;
using Heartbeat.Protocol.Control;

namespace Heartbeat.Ctl.Commands;

/// <summary>The ping nodes and the built-in ipfail in <c>hbctl status</c>: what is seen and what ipfail will do.</summary>
internal static class PingStatusText
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static void Write(TextWriter output, StatusReport status, Terminal terminal)
    {
        if (status.PingNodes is { Count: > 0 } pings)
        {
            output.WriteLine();
            terminal.Table(output, ["PING NODE", "KIND", "HOSTS", "STATUS", "LAST REPLY", "REQUESTS", "REPLIES"], pings.Select(p => new[]
            {
                p.Name, p.Kind, string.Join(' ', p.Hosts), p.Status, p.LastReplyMilliseconds is { } ms ? string.Create(C, $"{ms} ms ago") : "never",
                p.Probes.ToString(C), p.Replies.ToString(C),
            }));
        }

        if (status.Ipfail is { } ipfail)
        {
            string theirs = ipfail.Theirs?.ToString(C) ?? "not heard";
            string pending = ipfail.PendingGiveup is { } set
                ? string.Create(C, $"giving up {set} groups in {ipfail.GiveupInMilliseconds} ms")
                : ipfail.WaitingForStability ? "waiting for the resources to be stable, then asking again" : "none";
            output.WriteLine(string.Create(C, $"ipfail (built in): we see {ipfail.Ours} ping node(s), the peer said {theirs} (we last sent {ipfail.LastSent?.ToString(C) ?? "nothing"}); pending: {pending}; auto_failback {(ipfail.AutoFailback ? "on" : "off")}; foreign echo replies ignored: {ipfail.ForeignReplies}"));
        }
    }
}
