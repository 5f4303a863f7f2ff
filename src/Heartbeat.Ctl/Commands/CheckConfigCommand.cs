using System.CommandLine;
using System.Text.Json;
using Heartbeat.Machine;
using Heartbeat.Protocol.Agents;
using Heartbeat.Protocol.Config;

namespace Heartbeat.Ctl.Commands;

/// <summary>
/// <c>hbctl check-config [DIR]</c>: every problem of ha.cf, authkeys and haresources as <c>file:line: severity: message</c>;
/// exit 1 on any error, like <c>haproxy -c</c> and <c>keepalived -t</c>.
/// </summary>
public static class CheckConfigCommand
{
    public static Command Create(TextWriter output)
    {
        var directoryArgument = new Argument<string?>("dir")
        {
            Description = $"Config directory (default {ConfigDirectory.Default})",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var configDirOption = new Option<string?>("--config-dir") { Description = "Config directory (same as DIR)" };
        var nodeOption = new Option<string?>("--node") { Description = "Check as this node name instead of uname -n" };
        var hostChecksOption = new Option<string>("--host-checks")
        {
            Description = "Check interfaces, the local node name and ucast peers against this machine: on, off, or auto (on for /etc/ha.d, off for another directory, which usually holds files for another machine)",
            DefaultValueFactory = _ => "auto",
        };
        hostChecksOption.AcceptOnlyFromAmong("auto", "on", "off");
        var jsonOption = new Option<bool>("--json") { Description = "Print the diagnostics as JSON" };
        var directivesOption = new Option<bool>("--directives") { Description = "Print the table of ha.cf directives (Markdown) and exit" };
        var manOption = new Option<bool>("--man") { Description = "With --directives: print the ha.cf(5) manual page (troff) instead of Markdown" };
        var command = new Command("check-config", "Check ha.cf, authkeys and haresources; exit 1 on any error")
        {
            directoryArgument, configDirOption, nodeOption, hostChecksOption, jsonOption, directivesOption, manOption,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(directivesOption))
            {
                output.Write(parse.GetValue(manOption) ? DirectiveManPage.Render() : DirectiveDocs.Markdown());
                return 0;
            }

            string directory = parse.GetValue(directoryArgument) ?? parse.GetValue(configDirOption) ?? ConfigDirectory.Default;
            string mode = parse.GetValue(hostChecksOption)!;
            bool hostChecks = mode == "on" || (mode == "auto" && Path.GetFullPath(directory).TrimEnd('/') == ConfigDirectory.Default);
            string? node = parse.GetValue(nodeOption);
            var check = WithResourceChecks(ConfigDirectory.Load(directory, hostChecks ? new SystemHostFacts() : null, node), directory, hostChecks);
            if (parse.GetValue(jsonOption))
            {
                WriteJson(output, directory, hostChecks, check);
            }
            else
            {
                foreach (var diagnostic in check.Diagnostics)
                {
                    output.WriteLine(diagnostic.ToString());
                }

                int errors = check.Diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error);
                int warnings = check.Diagnostics.Count(d => d.Severity == DiagnosticSeverity.Warning);
                output.WriteLine($"{directory}: {errors} error(s), {warnings} warning(s){(hostChecks ? string.Empty : "; host checks skipped (--host-checks on to check interfaces and node name against this machine)")}");
                if (check.Config is { } config)
                {
                    output.WriteLine($"configuration valid: nodes {string.Join(", ", config.HaCf.Nodes.Select(n => n.Name))}; {config.HaCf.Media.Length} media; {config.Resources.Groups.Length} resource group(s); auto_failback {config.HaCf.AutoFailback.ToString().ToLowerInvariant()}");
                }
            }

            return check.HasErrors ? 1 : 0;
        });
        return command;
    }

    /// <summary>
    /// Adds what would fail when a group starts (a wrapper's argument count, a missing OCF agent, a resource nothing
    /// answers to). Only here: the daemon still starts with such a line, as 3.0.6 does, and the group then fails.
    /// </summary>
    private static ConfigCheck WithResourceChecks(ConfigCheck check, string directory, bool hostChecks)
    {
        if (check.Config is not { } config)
        {
            return check;
        }

        var context = new AgentContext(AgentContext.DefaultOcfRoot, directory, SystemAgentFiles.Instance);
        var found = ResourceChecks.Check(config.Resources, Path.Join(directory, "haresources"), context, hostChecks)
            .Concat(Heartbeat.Protocol.Fencing.StonithChecks.Check(config.HaCf.StonithDevices, Path.Join(directory, "ha.cf"), new SystemStonithCatalog())).ToArray();
        if (found.Length == 0)
        {
            return check;
        }

        var diagnostics = check.Diagnostics.AddRange(found);
        return new ConfigCheck(found.Any(d => d.Severity == DiagnosticSeverity.Error) ? null : config, diagnostics);
    }

    private static void WriteJson(TextWriter output, string directory, bool hostChecks, ConfigCheck check)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("directory", directory);
            json.WriteBoolean("hostChecks", hostChecks);
            json.WriteBoolean("valid", !check.HasErrors);
            json.WriteStartArray("diagnostics");
            foreach (var d in check.Diagnostics)
            {
                json.WriteStartObject();
                json.WriteString("file", d.File);
                json.WriteNumber("line", d.Line);
                json.WriteString("severity", d.SeverityText);
                json.WriteString("message", d.Message);
                if (d.Hint is not null)
                {
                    json.WriteString("hint", d.Hint);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
