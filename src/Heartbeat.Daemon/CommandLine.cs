using System.Globalization;
using Heartbeat.Daemon.Membership;

namespace Heartbeat.Daemon;

public enum DaemonAction
{
    Run,
    Status,
    Stop,
    Reload,
    Version,
    Defaults,
    Help,
}

/// <summary>The parsed command line.</summary>
public sealed record DaemonCommand(DaemonAction Action, DaemonSettings Settings);

/// <summary>
/// 3.0.6's short flags, which init scripts and admins use (they combine, like <c>-dd</c>), and long options for
/// containers and tests. Hand-parsed: the daemon must not depend on a command-line package's conventions for flags
/// that scripts written for 3.0.6 pass.
/// </summary>
public static class CommandLine
{
    public const string Usage = """
        Usage: heartbeat [-dklrsVD] [--config-dir DIR] [--state-dir DIR] [--run-dir DIR] [--pid-file FILE] [--node NAME]
          -s  report whether heartbeat runs (exit 0 running, 3 stopped)
          -k  stop the running heartbeat (graceful: it leaves the cluster first)
          -r  reload: the running heartbeat re-reads and validates its configuration (SIGHUP)
          -d  raise the debug level (repeatable)
          -l  accepted for 3.0.6 compatibility (no memory locking or realtime here)
          -V  print the version;  -D  print the ha.cf defaults
          --config-dir DIR  ha.cf, authkeys, haresources (default /etc/ha.d)
          --state-dir DIR   hb_uuid, hb_generation (default /var/lib/heartbeat)
          --run-dir DIR     runtime files (default /run/heartbeat); also moves the pid file into DIR
          --pid-file FILE   default /run/heartbeat.pid
          --node NAME       this node's name instead of uname -n
        """;

    public static bool TryParse(IReadOnlyList<string> args, out DaemonCommand command, out string? error)
    {
        var settings = new DaemonSettings();
        var action = DaemonAction.Run;
        bool pidFileGiven = false;
        error = null;
        command = new DaemonCommand(action, settings);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                string name = arg;
                string? value = null;
                int eq = arg.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    name = arg[..eq];
                    value = arg[(eq + 1)..];
                }

                if (name is "--version" or "--help")
                {
                    action = name == "--version" ? DaemonAction.Version : DaemonAction.Help;
                    continue;
                }

                if (value is null)
                {
                    if (i + 1 >= args.Count)
                    {
                        error = $"option {name} needs a value";
                        return false;
                    }

                    value = args[++i];
                }

                switch (name)
                {
                    case "--config-dir":
                        settings = settings with { ConfigDirectory = value };
                        break;
                    case "--state-dir":
                        settings = settings with { StateDirectory = value };
                        break;
                    case "--run-dir":
                        settings = settings with { RunDirectory = value, PidFilePath = pidFileGiven ? settings.PidFilePath : Path.Join(value, "heartbeat.pid") };
                        break;
                    case "--pid-file":
                        settings = settings with { PidFilePath = value };
                        pidFileGiven = true;
                        break;
                    case "--node":
                        settings = settings with { NodeName = value };
                        break;
                    default:
                        error = $"unknown option '{name}'";
                        return false;
                }

                continue;
            }

            if (arg.Length < 2 || arg[0] != '-')
            {
                error = $"unexpected argument '{arg}'";
                return false;
            }

            foreach (char flag in arg.AsSpan(1))
            {
                switch (flag)
                {
                    case 'd':
                        settings = settings with { DebugLevel = settings.DebugLevel + 1 };
                        break;
                    case 'l':
                        break;
                    case 's':
                        action = DaemonAction.Status;
                        break;
                    case 'k':
                        action = DaemonAction.Stop;
                        break;
                    case 'r':
                        action = DaemonAction.Reload;
                        break;
                    case 'V':
                        action = DaemonAction.Version;
                        break;
                    case 'D':
                        action = DaemonAction.Defaults;
                        break;
                    case 'h':
                        action = DaemonAction.Help;
                        break;
                    default:
                        error = string.Create(CultureInfo.InvariantCulture, $"invalid option -- '{flag}'");
                        return false;
                }
            }
        }

        command = new DaemonCommand(action, settings);
        return true;
    }
}
