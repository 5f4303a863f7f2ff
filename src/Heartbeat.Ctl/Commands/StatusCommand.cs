using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Heartbeat.Protocol.Control;

namespace Heartbeat.Ctl.Commands;

/// <summary>
/// The read commands: <c>hbctl status</c> (everything), <c>nodes</c>, <c>links</c> and <c>resources</c> (one table
/// each), every one with <c>--json</c> (the shapes are in docs/status.schema.json).
/// </summary>
public static class StatusCommand
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static Option<string> RunDirectoryOption() => new("--run-dir")
    {
        Description = $"The daemon's run directory, where control.sock is (default {ControlClient.DefaultRunDirectory})",
        DefaultValueFactory = _ => ControlClient.DefaultRunDirectory,
    };

    public static Command Create(TextWriter output, TextWriter error) =>
        Read("status", "Show this node, its peers and links, who holds each resource group, the configuration in brief and the counters", output, error,
            (status, terminal) => Write(output, status, terminal),
            status => JsonSerializer.Serialize(status, StatusJsonContext.Default.StatusReport));

    public static Command Nodes(TextWriter output, TextWriter error) =>
        Read("nodes", "Show every configured node: status, generation, when last heard, implementation, links", output, error,
            (status, terminal) => terminal.Table(output, ["NODE", "STATUS", "GENERATION", "LAST HEARD", "IMPLEMENTATION", "LINKS"], NodeRows(status)),
            status => JsonSerializer.Serialize(NodeList(status), StatusJsonContext.Default.IReadOnlyListNodeRow));

    public static Command Links(TextWriter output, TextWriter error) =>
        Read("links", "Show each node's heartbeat links: up or dead, and when a packet last came over it", output, error,
            (status, terminal) => terminal.Table(output, ["NODE", "INTERFACE", "STATE", "LAST HEARD"], LinkList(status).Select(l => new[]
            {
                l.Node, l.Interface, l.Up ? "up" : "dead", l.LastHeardMilliseconds is { } ms ? string.Create(C, $"{ms} ms ago") : l.Node == status.Node ? "-" : "never",
            })),
            status => JsonSerializer.Serialize(LinkList(status), StatusJsonContext.Default.IReadOnlyListLinkRow));

    public static Command Resources(TextWriter output, TextWriter error) =>
        Read("resources", "Show every resource group: home node, holder, state, last change and why", output, error,
            (status, terminal) => GroupTable(output, status, terminal),
            status => JsonSerializer.Serialize(status.Groups, StatusJsonContext.Default.IReadOnlyListGroupReport));

    private static Command Read(string name, string description, TextWriter output, TextWriter error, Action<StatusReport, Terminal> human, Func<StatusReport, string> json)
    {
        var runDir = RunDirectoryOption();
        var asJson = new Option<bool>("--json") { Description = "Print it as JSON (docs/status.schema.json)" };
        var color = Terminal.ColorOption();
        var command = new Command(name, description) { runDir, asJson, color };
        command.SetAction(parse => ControlClient.WithStatus(parse.GetValue(runDir)!, name, error, status =>
        {
            if (parse.GetValue(asJson))
            {
                output.WriteLine(json(status));
            }
            else
            {
                human(status, Terminal.For(parse.GetValue(color), output));
            }

            return 0;
        }));
        return command;
    }

    public static void Write(TextWriter output, StatusReport status, Terminal terminal)
    {
        // rscstatus (local/foreign/all/none) is 3.0.6's class bookkeeping, always "none" in legacy mode: show the count too.
        int held = status.Groups.Count(g => g.Held);
        output.WriteLine(string.Create(C, $"Node {status.Node}: {status.NodeStatus}, generation {status.Generation}, auto_failback {status.AutoFailback}, {held} of {status.Groups.Count} groups held here (rscstatus {status.Holding}){(status.InTransition ? ", in transition" : string.Empty)}"));
        var cfg = status.Config;
        output.WriteLine(string.Create(C, $"Config {cfg.Directory}: keepalive {cfg.KeepaliveMilliseconds} ms, deadtime {cfg.DeadtimeMilliseconds} ms, warntime {cfg.WarntimeMilliseconds} ms, initdead {cfg.InitdeadMilliseconds} ms, udpport {cfg.UdpPort}, auth {cfg.Authentication}"));
        output.WriteLine($"Media: {string.Join("; ", cfg.Media)}");
        output.WriteLine();
        terminal.Table(output, ["PEER", "STATUS", "GENERATION", "LAST HEARD", "IMPLEMENTATION", "LINKS"], NodeRows(status).Skip(1));
        output.WriteLine();
        GroupTable(output, status, terminal);
        PingStatusText.Write(output, status, terminal);
        if (status.Respawns is { Count: > 0 } respawns)
        {
            output.WriteLine();
            terminal.Table(output, ["RESPAWN", "USER", "PID", "RESTARTS", "STATE", "LAST EXIT"], respawns.Select(r => new[]
            {
                r.Command, r.User, r.Pid?.ToString(C) ?? "-", r.Restarts.ToString(C), r.State, r.LastExit ?? "-",
            }));
        }

        if (status.Fencing is { } fencing)
        {
            output.WriteLine();
            output.WriteLine($"STONITH device {fencing.Device}: {fencing.DeviceStatus ?? "checking"}");
            if (fencing.Fences.Count > 0)
            {
                terminal.Table(output, ["FENCED NODE", "STATE", "ATTEMPTS", "DELAYED", "LAST RESULT", "LAST DETAIL"], fencing.Fences.Select(f => new[]
                {
                    f.Node, f.State, f.Attempts.ToString(C), f.Delayed ? "yes" : "no",
                    f.LastResult is null ? "-" : string.Create(C, $"{f.LastResult} in {f.LastElapsedMilliseconds} ms"), f.LastDetail ?? "-",
                }));
            }
        }

        var k = status.Counters;
        string rejected = k.RejectedByReason.Count == 0 ? "none" : string.Join(", ", k.RejectedByReason.Select(p => string.Create(C, $"{p.Key} {p.Value}")));
        output.WriteLine();
        output.WriteLine(string.Create(C, $"Packets: {k.Received} received, {k.Sent} sent, {k.Duplicates} duplicate copies, {k.SendErrors} send errors, {k.InputDropped} dropped (queue full); rejected: {rejected}"));
        foreach (var medium in k.Media)
        {
            output.WriteLine(string.Create(C, $"  sent on {medium.Medium}: {medium.Sent}{(medium.SendErrors > 0 ? $" ({medium.SendErrors} failed)" : string.Empty)}"));
        }

        foreach (var socket in k.Sockets)
        {
            output.WriteLine(string.Create(C, $"  received on {socket.Socket}: {socket.Received}"));
        }

        output.WriteLine(string.Create(C, $"Retransmissions: {k.RetransmitRequestsSent} requested, {k.RetransmissionsServed} served; late heartbeats: {k.LateHeartbeats} (worst {k.WorstLateMilliseconds} ms); takeovers: {k.Takeovers}"));
    }

    private static void GroupTable(TextWriter output, StatusReport status, Terminal terminal)
    {
        terminal.Table(output, ["GROUP", "HOME", "HOLDER", "STATE", "LAST CHANGE", "REASON"], status.Groups.Select(g => new[]
        {
            g.Key, g.Home, g.Owner ?? (g.OwnerKnown ? "none" : "unknown"), g.State, g.LastChange?.ToLocalTime().ToString("HH:mm:ss.fff", C) ?? "-", g.LastReason ?? "-",
        }));
        foreach (var failed in status.Groups.Where(g => g.LastFailure is not null))
        {
            output.WriteLine($"  {failed.Key}: last failure {failed.LastFailure}");
        }
    }

    /// <summary>This node first, then its peers, as table rows.</summary>
    private static IEnumerable<string[]> NodeRows(StatusReport status) => NodeList(status).Select(n => new[]
    {
        n.Name, n.Status, n.Generation.ToString(C), n.LastHeardMilliseconds is { } ms ? string.Create(C, $"{ms} ms ago") : n.Local ? "-" : "never",
        // Our nodes mark their starting/resource reports; legacy mode sends none, so a peer there stays unknown.
        n.Local ? $"HeartbeatNet {status.Version} (this node)" : n.Ours ? "HeartbeatNet" : "not known",
        string.Join(", ", n.Links.Select(l => $"{l.Interface} {(l.Up ? "up" : "dead")}")),
    });

    public static IReadOnlyList<NodeRow> NodeList(StatusReport status) =>
    [
        new NodeRow(status.Node, status.NodeStatus, status.Generation, null, true, true, [.. status.LocalInterfaces.Select(i => new LinkReport(i, true))]),
        .. status.Peers.Select(p => new NodeRow(p.Name, p.Status, p.Generation, p.LastHeardMilliseconds, false, p.Ours, p.Links)),
    ];

    public static IReadOnlyList<LinkRow> LinkList(StatusReport status) =>
    [
        .. NodeList(status).SelectMany(n => n.Links.Select(l => new LinkRow(n.Name, l.Interface, l.Up, l.LastHeardMilliseconds))),
    ];
}

/// <summary>One node as <c>hbctl nodes --json</c> shows it (this node first, with <see cref="Local"/> true).</summary>
public sealed record NodeRow(string Name, string Status, ulong Generation, long? LastHeardMilliseconds, bool Local, bool Ours, IReadOnlyList<LinkReport> Links);

/// <summary>One link as <c>hbctl links --json</c> shows it.</summary>
public sealed record LinkRow(string Node, string Interface, bool Up, long? LastHeardMilliseconds);

/// <summary>Indented JSON of a status and its parts for people and scripts (source-generated: NativeAOT-safe).</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(StatusReport))]
[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<NodeRow>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<LinkRow>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<GroupReport>))]
internal sealed partial class StatusJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
