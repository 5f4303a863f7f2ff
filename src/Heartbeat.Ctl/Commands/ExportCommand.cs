using System.Collections.Immutable;
using System.CommandLine;
using Heartbeat.Machine;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Export;

namespace Heartbeat.Ctl.Commands;

/// <summary>
/// <c>hbctl export pcs|crmsh|cib [DIR] [--corosync FILE] [--node-address NODE=ADDR[,ADDR…]]…</c>: ha.cf + haresources
/// as the equivalent Pacemaker configuration on standard output, and corosync.conf into FILE. Input it cannot
/// convert is reported as <c>file:line: error: …</c> on standard error, with exit 1 and no output.
/// </summary>
public static class ExportCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var formatArgument = new Argument<string>("format") { Description = "cib (a CIB for cibadmin), pcs (a pcs script) or crmsh (a crm configure script)" };
        formatArgument.AcceptOnlyFromAmong("cib", "pcs", "crmsh");
        var directoryArgument = new Argument<string?>("dir")
        {
            Description = $"Config directory (default {ConfigDirectory.Default})",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var corosyncOption = new Option<string?>("--corosync") { Description = "Also write corosync.conf (Corosync 3, knet) to this file" };
        var addressOption = new Option<string[]>("--node-address")
        {
            Description = "A node's address on each knet link, one per interface with heartbeat media in ha.cf order: NODE=ADDR[,ADDR…] (repeat per node; default: the node names on one link)",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("export", "Convert ha.cf + haresources to Pacemaker (cib, pcs or crmsh) and corosync.conf")
        {
            formatArgument, directoryArgument, corosyncOption, addressOption,
        };
        command.SetAction(parse => Run(
            parse.GetValue(formatArgument)!,
            parse.GetValue(directoryArgument) ?? ConfigDirectory.Default,
            parse.GetValue(corosyncOption),
            parse.GetValue(addressOption) ?? [],
            output,
            error));
        return command;
    }

    private static int Run(string format, string directory, string? corosyncPath, string[] addressArguments, TextWriter output, TextWriter error)
    {
        Dictionary<string, ImmutableArray<string>>? addresses = null;
        foreach (string argument in addressArguments)
        {
            int equals = argument.IndexOf('=', StringComparison.Ordinal);
            string[] list = equals > 0 ? argument[(equals + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
            if (list.Length == 0)
            {
                error.WriteLine($"hbctl export: --node-address '{argument}' is not NODE=ADDR[,ADDR…]");
                return 2;
            }

            addresses ??= new Dictionary<string, ImmutableArray<string>>(StringComparer.Ordinal);
            addresses[argument[..equals].ToLowerInvariant()] = [.. list];
        }

        var result = PacemakerExporter.Convert(ConfigDirectory.Read(directory), addresses);
        foreach (var diagnostic in result.Diagnostics)
        {
            error.WriteLine(diagnostic.ToString());
        }

        if (result.Value is not { } export)
        {
            int errors = result.Diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error);
            error.WriteLine($"hbctl export: {directory}: {errors} error(s); nothing exported (hbctl check-config {directory} shows every problem)");
            return 1;
        }

        if (corosyncPath is not null)
        {
            try
            {
                File.WriteAllText(corosyncPath, CorosyncConfWriter.Write(export.Corosync));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"hbctl export: cannot write {corosyncPath}: {ex.Message}");
                return 1;
            }
        }

        output.Write(format switch
        {
            "pcs" => PcsWriter.Write(export.Pacemaker),
            "crmsh" => CrmshWriter.Write(export.Pacemaker),
            _ => CibWriter.Write(export.Pacemaker),
        });
        return 0;
    }
}
