using System.CommandLine;
using Heartbeat.Ctl.Commands;

namespace Heartbeat.Ctl;

/// <summary>hbctl: the administrator's tool. Exit codes: 0 success, 1 a problem was found, 2 bad usage.</summary>
public static class Program
{
    public static int Main(string[] args) => BuildRoot(Console.Out, Console.Error).Parse(args).Invoke();

    public static RootCommand BuildRoot(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("hbctl — inspect and control a HeartbeatNet (Heartbeat 3.0.6 compatible) node");
        root.Subcommands.Add(CheckConfigCommand.Create(output));
        root.Subcommands.Add(DecodeCommand.Create(output, error));
        return root;
    }
}
