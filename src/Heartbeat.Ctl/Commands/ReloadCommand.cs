using System.CommandLine;
using Heartbeat.Protocol.Control;

namespace Heartbeat.Ctl.Commands;

/// <summary>
/// <c>hbctl reload [--dry-run]</c>: the daemon re-reads /etc/ha.d, validates it, and applies timer and key changes in
/// place; errors (file:line) and changes that need a restart are refused with the running configuration kept.
/// </summary>
public static class ReloadCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var runDir = StatusCommand.RunDirectoryOption();
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would change, apply nothing" };
        var command = new Command("reload", "Validate the changed configuration and apply it without moving resources") { dryRun, runDir };
        command.SetAction(parse => ControlClient.Perform(
            parse.GetValue(runDir)!,
            new ControlRequest(ControlRequest.CurrentVersion, "reload", parse.GetValue(dryRun) ? "dry-run" : null),
            output,
            error));
        return command;
    }
}
