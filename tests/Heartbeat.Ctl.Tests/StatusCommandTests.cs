using System.Text.Json;
using System.Text.Json.Nodes;
using Heartbeat.Ctl;
using Heartbeat.Protocol.Control;
using Heartbeat.Protocol.Tests.Support;
using Json.Schema;

namespace Heartbeat.Ctl.Tests;

/// <summary>
/// hbctl's read and control commands against a control socket that answers like the daemon (the daemon's own side is
/// exercised by the integration tests): the tables, colour, exit codes, and the JSON checked against the committed
/// docs/status.schema.json.
/// </summary>
public sealed class StatusCommandTests : IAsyncLifetime
{
    private readonly FakeControlSocket _socket = new("hbctl-status-");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _socket.DisposeAsync();

    private static StatusReport Sample() => StatusSample.Create();

    private (int Exit, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = Program.BuildRoot(output, error).Parse([.. args, "--run-dir", _socket.RunDirectory]).Invoke();
        return (exit, output.ToString(), error.ToString());
    }

    private static readonly Dictionary<string, JsonSchema> Schemas = new(StringComparer.Ordinal);

    /// <summary>The committed schema, or one of its $defs as the root (the nodes/links/resources arrays); built once each.</summary>
    private static JsonSchema Schema(string? definition = null)
    {
        lock (Schemas)
        {
            string key = definition ?? string.Empty;
            if (!Schemas.TryGetValue(key, out var schema))
            {
                schema = BuildSchema(definition);
                Schemas[key] = schema;
            }

            return schema;
        }
    }

    private static JsonSchema BuildSchema(string? definition)
    {
        var document = JsonNode.Parse(File.ReadAllText(Path.Join(TestPaths.RepositoryRoot, "docs", "status.schema.json")))!.AsObject();
        if (definition is not null)
        {
            document = new JsonObject
            {
                ["$schema"] = document["$schema"]!.DeepClone(),
                ["$id"] = $"https://heartbeatnet.invalid/schema/{definition}.json",
                ["$defs"] = document["$defs"]!.DeepClone(),
                ["$ref"] = $"#/$defs/{definition}",
            };
        }

        return JsonSchema.FromText(document.ToJsonString());
    }

    private static void AssertValid(JsonSchema schema, string json)
    {
        using var document = JsonDocument.Parse(json);
        var result = schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, string.Join("\n", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 }).Select(d => $"{d.InstanceLocation}: {string.Join("; ", d.Errors!.Values)}")) + "\n" + json);
    }

    [Fact]
    public void Status_json_matches_the_committed_schema_and_a_broken_one_does_not()
    {
        var (exit, json, _) = Run("status", "--json");

        Assert.Equal(0, exit);
        AssertValid(Schema(), json);
        var node = JsonNode.Parse(json)!.AsObject();
        Assert.Equal("md5 (key 1)", (string?)node["config"]!["authentication"]);
        Assert.Equal(2, node["counters"]!["media"]!.AsArray().Count);

        // The schema is not vacuous: a status without its counters, or with a secret-looking auth, is refused.
        node.Remove("counters");
        Assert.False(Schema().Evaluate(JsonDocument.Parse(node.ToJsonString()).RootElement).IsValid);
        var leaky = JsonNode.Parse(json)!.AsObject();
        leaky["config"]!["authentication"] = "md5 securepass";
        Assert.False(Schema().Evaluate(JsonDocument.Parse(leaky.ToJsonString()).RootElement).IsValid);
    }

    [Theory]
    [InlineData("nodes", "nodes")]
    [InlineData("links", "links")]
    [InlineData("resources", "groups")]
    public void The_parts_print_json_that_matches_their_schema(string verb, string definition)
    {
        var (exit, json, _) = Run(verb, "--json");

        Assert.Equal(0, exit);
        AssertValid(Schema(definition), json);
    }

    [Fact]
    public void Status_shows_config_holders_failures_and_counters_per_medium()
    {
        var (exit, text, _) = Run("status");

        Assert.Equal(0, exit);
        Assert.Contains("Node server1: active, generation 1796015703, auto_failback on, 1 of 2 groups held here (rscstatus local)", text, StringComparison.Ordinal);
        Assert.Contains("Config /etc/ha.d: keepalive 2000 ms, deadtime 10000 ms, warntime 5000 ms, initdead 20000 ms, udpport 694, auth md5 (key 1)", text, StringComparison.Ordinal);
        Assert.Matches(@"server2\s+dead\s+1796015704\s+12500 ms ago\s+HeartbeatNet\s+ens18 dead, ens19 dead", text);
        Assert.Matches(@"IPaddr2::10\.10\.10\.1/24/ens18\s+server1\s+server1\s+held", text);
        Assert.Matches(@"IPaddr2::10\.10\.10\.11/24/ens18 mysql\s+server2\s+none\s+failed", text);
        Assert.Contains("last failure 2026-11-30 05:16:00Z start failed: mysql start exited with 1: port in use", text, StringComparison.Ordinal);
        Assert.Contains("sent on ucast ens19 10.10.11.3 port 694: 4298 (2 failed)", text, StringComparison.Ordinal);
        Assert.Contains("received on 0.0.0.0:694 on ens19: 4100", text, StringComparison.Ordinal);
        Assert.Contains("rejected: BadDigest 3, UnknownNode 1", text, StringComparison.Ordinal);
        Assert.Contains("late heartbeats: 1 (worst 1450 ms)", text, StringComparison.Ordinal);
        Assert.Matches(@"/usr/local/bin/watch-disk --every 5\s+nobody\s+4711\s+2\s+running\s+exit 3", text);
        Assert.Matches(@"/usr/lib/heartbeat/ipfail\s+hacluster\s+-\s+0\s+not run", text);
        Assert.DoesNotContain("\e[", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_holder_column_says_unknown_only_when_the_node_cannot_know()
    {
        var sample = Sample();
        _socket.Answer = _ => new ControlResponse(ControlRequest.CurrentVersion, true, Status: sample with
        {
            Groups =
            [
                sample.Groups[0] with { Held = false, State = "stopped", Owner = "server2" },
                sample.Groups[1] with { State = "stopped", Owner = null, OwnerKnown = false },
            ],
        });

        var (exit, text, _) = Run("resources");
        var (_, json, _) = Run("resources", "--json");

        Assert.Equal(0, exit);
        Assert.Matches(@"IPaddr2::10\.10\.10\.1/24/ens18\s+server1\s+server2\s+stopped", text);
        Assert.Matches(@"IPaddr2::10\.10\.10\.11/24/ens18 mysql\s+server2\s+unknown\s+stopped", text);
        Assert.Contains("\"ownerKnown\": false", json, StringComparison.Ordinal);
        AssertValid(Schema("groups"), json);
    }

    [Fact]
    public void Nodes_and_links_list_this_node_first_then_the_peer()
    {
        var (_, nodes, _) = Run("nodes");
        var lines = nodes.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("NODE", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^server1\s+active\s+1796015703\s+-\s+HeartbeatNet 0\.1\.0 \(this node\)\s+ens18 up, ens19 up$", lines[1]);
        Assert.StartsWith("server2", lines[2], StringComparison.Ordinal);

        var (_, links, _) = Run("links");
        Assert.Matches(@"server2\s+ens18\s+dead\s+12500 ms ago", links);
        Assert.Matches(@"server2\s+ens19\s+dead\s+never", links);
    }

    [Fact]
    public void Colour_is_used_only_when_asked_for_or_on_a_terminal()
    {
        var (_, coloured, _) = Run("resources", "--color", "always");
        Assert.Contains("\e[32mheld\e[0m", coloured, StringComparison.Ordinal);
        Assert.Contains("\e[31mfailed\e[0m", coloured, StringComparison.Ordinal);

        // The columns still line up: the padding stays outside the escape codes.
        string Strip(string s) => System.Text.RegularExpressions.Regex.Replace(s, "\e\\[[0-9;]*m", string.Empty);
        var (_, plain, _) = Run("resources", "--color", "never");
        Assert.Equal(plain, Strip(coloured));
        Assert.DoesNotContain("\e[", Run("resources").Output, StringComparison.Ordinal); // a StringWriter is not a terminal
    }

    [Fact]
    public void Control_commands_print_the_daemons_answer_or_its_refusal_with_exit_1()
    {
        _socket.Answer = request => request.Command == "standby"
            ? new ControlResponse(ControlRequest.CurrentVersion, false, Error: "standby refused: a transition is under way")
            : new ControlResponse(ControlRequest.CurrentVersion, true, Message: "applied in place, no resource moved:\nha.cf keepalive: 2s → 1s");

        var (standbyExit, _, standbyError) = Run("standby", "foreign");
        Assert.Equal(1, standbyExit);
        Assert.Equal("hbctl standby: standby refused: a transition is under way", standbyError.Trim());

        var (reloadExit, reloadOutput, _) = Run("reload", "--dry-run");
        Assert.Equal(0, reloadExit);
        Assert.StartsWith("applied in place", reloadOutput, StringComparison.Ordinal);
        Assert.Equal([("standby", "foreign"), ("reload", "dry-run")], _socket.Requests.Select(r => (r.Command, r.Argument)));
    }

    [Fact]
    public void No_daemon_means_exit_3_with_the_socket_named()
    {
        string empty = Directory.CreateTempSubdirectory("hbctl-none-").FullName;
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();
            int exit = Program.BuildRoot(output, error).Parse(["nodes", "--run-dir", empty]).Invoke();
            Assert.Equal(3, exit);
            Assert.Contains(Path.Join(empty, "control.sock"), error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }
}

/// <summary><c>hbctl completion bash</c> sourced into a real bash: the completions come from hbctl itself.</summary>
public sealed class CompletionTests
{
    [Theory]
    [InlineData("hbctl st", "standby status")]
    [InlineData("hbctl standby f", "failback foreign")]
    [InlineData("hbctl status --c", "--color")]
    [InlineData("hbctl resources --color a", "always auto")]
    public void Bash_completes_verbs_options_and_their_values(string line, string expected)
    {
        string[] words = line.Split(' ');
        string script = $"""
            source <(hbctl completion bash)
            COMP_WORDS=({line}); COMP_CWORD={words.Length - 1}; COMP_LINE="{line}"; COMP_POINT={line.Length}
            _hbctl_complete
            echo "${"{"}COMPREPLY[*]{"}"}"
            """;
        var info = new System.Diagnostics.ProcessStartInfo("bash", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["PATH"] = AppContext.BaseDirectory + ":" + Environment.GetEnvironmentVariable("PATH");
        using var bash = System.Diagnostics.Process.Start(info)!;
        string output = bash.StandardOutput.ReadToEnd();
        Assert.True(bash.WaitForExit(30_000), "bash did not finish");
        Assert.Equal(expected, output.Trim());
    }
}
