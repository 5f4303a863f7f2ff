using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Heartbeat.Protocol.Control;

namespace Heartbeat.Ctl.Commands;

/// <summary><c>hbctl status [--json]</c>: this node, its peers and links, every group with its last transition and reason.</summary>
public static class StatusCommand
{
    public static Option<string> RunDirectoryOption() => new("--run-dir")
    {
        Description = $"The daemon's run directory, where control.sock is (default {ControlClient.DefaultRunDirectory})",
        DefaultValueFactory = _ => ControlClient.DefaultRunDirectory,
    };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var runDir = RunDirectoryOption();
        var json = new Option<bool>("--json") { Description = "Print the status as JSON" };
        var command = new Command("status", "Show this node, its peers and links, and who holds each resource group") { runDir, json };
        command.SetAction(parse =>
        {
            var (response, problem) = ControlClient.Ask(parse.GetValue(runDir)!, new ControlRequest(ControlRequest.CurrentVersion, "status"));
            if (response?.Status is not { } status)
            {
                error.WriteLine($"hbctl: {problem ?? response?.Error}");
                return response is null ? ControlClient.NotRunning : 1;
            }

            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(status, StatusJsonContext.Default.StatusReport));
            }
            else
            {
                Write(output, status);
            }

            return 0;
        });
        return command;
    }

    public static void Write(TextWriter output, StatusReport status)
    {
        var c = CultureInfo.InvariantCulture;
        // rscstatus (local/foreign/all/none) is 3.0.6's class bookkeeping, always "none" in legacy mode: show the count too.
        int held = status.Groups.Count(g => g.Held);
        output.WriteLine(string.Create(c, $"Node {status.Node}: {status.NodeStatus}, generation {status.Generation}, auto_failback {status.AutoFailback}, {held} of {status.Groups.Count} groups held here (rscstatus {status.Holding}){(status.InTransition ? ", in transition" : string.Empty)}"));
        output.WriteLine();
        Table(output, ["PEER", "STATUS", "GENERATION", "LAST HEARD", "IMPLEMENTATION", "LINKS"], status.Peers.Select(p => new[]
        {
            p.Name, p.Status, p.Generation.ToString(c), p.LastHeardMilliseconds is { } ms ? string.Create(c, $"{ms} ms ago") : "never",
            // Our nodes mark their starting/resource reports; legacy mode sends none, so a peer there stays unknown.
            p.Ours ? "HeartbeatNet" : "not known",
            string.Join(", ", p.Links.Select(l => $"{l.Interface} {(l.Up ? "up" : "dead")}")),
        }));
        output.WriteLine();
        Table(output, ["GROUP", "HOME", "HELD", "STATE", "LAST CHANGE", "REASON"], status.Groups.Select(g => new[]
        {
            g.Key, g.Home, g.Held ? "yes" : "no", g.State, g.LastChange?.ToLocalTime().ToString("HH:mm:ss.fff", c) ?? "-", g.LastReason ?? "-",
        }));
        foreach (var failed in status.Groups.Where(g => g.LastFailure is not null))
        {
            output.WriteLine($"  {failed.Key}: last failure {failed.LastFailure}");
        }

        var k = status.Counters;
        string rejected = k.RejectedByReason.Count == 0 ? "none" : string.Join(", ", k.RejectedByReason.Select(p => string.Create(c, $"{p.Key} {p.Value}")));
        output.WriteLine();
        output.WriteLine(string.Create(c, $"Packets: {k.Received} received, {k.Sent} sent, {k.Duplicates} duplicate copies, {k.SendErrors} send errors; rejected: {rejected}"));
        output.WriteLine(string.Create(c, $"Retransmissions: {k.RetransmitRequestsSent} requested, {k.RetransmissionsServed} served; late heartbeats: {k.LateHeartbeats} (worst {k.WorstLateMilliseconds} ms); takeovers: {k.Takeovers}"));
    }

    private static void Table(TextWriter output, string[] header, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { header };
        all.AddRange(rows);
        var widths = Enumerable.Range(0, header.Length).Select(i => all.Max(r => r[i].Length)).ToArray();
        foreach (var row in all)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        }
    }
}

/// <summary>Indented JSON of a status for people and scripts.</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(StatusReport))]
internal sealed partial class StatusJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
