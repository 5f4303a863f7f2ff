using System.CommandLine;
using Heartbeat.Ctl.Commands;

namespace Heartbeat.Ctl;

/// <summary>hbctl: the administrator's tool. Exit codes: 0 success, 1 a problem was found or a request refused, 2 bad usage, 3 the daemon is not reachable.</summary>
public static class Program
{
    public static int Main(string[] args) => BuildRoot(Console.Out, Console.Error).Parse(args).Invoke();

    public static RootCommand BuildRoot(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("hbctl — inspect and control a HeartbeatNet (Heartbeat 3.0.6 compatible) node");
        root.Subcommands.Add(CheckConfigCommand.Create(output));
        root.Subcommands.Add(DecodeCommand.Create(output, error));
        root.Subcommands.Add(StatusCommand.Create(output, error));
        root.Subcommands.Add(StatusCommand.Nodes(output, error));
        root.Subcommands.Add(StatusCommand.Links(output, error));
        root.Subcommands.Add(StatusCommand.Resources(output, error));
        root.Subcommands.Add(StandbyCommand.Create("standby", output, error));
        root.Subcommands.Add(StandbyCommand.Create("takeover", output, error));
        root.Subcommands.Add(ReloadCommand.Create(output, error));
        root.Subcommands.Add(MetricsCommand.Create(output, error));
        root.Subcommands.Add(EventsCommand.Create(output, error));
        root.Subcommands.Add(KeygenCommand.Create(output, error));
        root.Subcommands.Add(ExportCommand.Create(output, error));
        foreach (var verb in ClStatusCommands.Create(output, error))
        {
            root.Subcommands.Add(verb);
        }

        root.Subcommands.Add(CompletionCommand.Create(output));
        return root;
    }
}
