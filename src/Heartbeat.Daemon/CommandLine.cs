using System.Globalization;

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

    /// <summary><c>heartbeat resource takegroup|givegroup|status|listkeys …</c>: ResourceManager's verbs, run once.</summary>
    Resource,
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
          -r  reload: the running heartbeat validates its files and applies timers and keys in place (SIGHUP)
          -d  raise the debug level (repeatable)
          -l  normal scheduling: no realtime threads, whatever ha.cf's realtime says (as 3.0.6's -l)
          -V  print the version;  -D  print the ha.cf defaults
          --config-dir DIR  ha.cf, authkeys, haresources (default /etc/ha.d)
          --state-dir DIR   hb_uuid, hb_generation (default /var/lib/heartbeat)
          --run-dir DIR     runtime files (default /run/heartbeat); also moves the pid file into DIR
          --pid-file FILE   default /run/heartbeat.pid
          --node NAME       this node's name instead of uname -n
          --script-timeout SECONDS  how long a resource script may run (default 120)
          --arp-count N --arp-interval MS  gratuitous ARP rounds and spacing (default 5, 200)
          --stonith-timeout SECONDS  how long one STONITH reset may run (default 60)
          --stonith-delay SECONDS    how long the node without the groups waits before its reset (default 15)
          --log auto|journal|console      where logs go (auto: journald when started by systemd, else stdout)
          --metrics-listen ADDRESS:PORT   serve Prometheus metrics at http://ADDRESS:PORT/metrics (default: off;
                            e.g. 127.0.0.1:9746 or [::1]:9746; only where told, never a wildcard by default)
        heartbeat resource takegroup KEY | givegroup KEY | status KEY | listkeys NODE | hold KEY
          what Heartbeat's ResourceManager does, once, in this network namespace (status: exit 0 running, 3 not);
          hold takes the group, restores a VIP that vanishes, and gives the group up on SIGTERM
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
                    case "--log" when value is "auto" or "journal" or "console":
                        settings = settings with { LogTarget = value switch { "journal" => LogTarget.Journal, "console" => LogTarget.Console, _ => LogTarget.Auto } };
                        break;
                    case "--log":
                        error = $"option --log: '{value}' is not auto, journal or console";
                        return false;
                    case "--script-timeout" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds > 0:
                        settings = settings with { ScriptTimeout = TimeSpan.FromSeconds(seconds) };
                        break;
                    case "--arp-count" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int count) && count is >= 0 and <= 100:
                        settings = settings with { ArpCount = count };
                        break;
                    case "--arp-interval" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int ms) && ms is >= 1 and <= 10_000:
                        settings = settings with { ArpInterval = TimeSpan.FromMilliseconds(ms) };
                        break;
                    case "--stonith-timeout" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double limit) && limit > 0:
                        settings = settings with { Fencing = settings.Fencing with { AttemptTimeout = TimeSpan.FromSeconds(limit) } };
                        break;
                    case "--stonith-delay" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double delay) && delay >= 0:
                        settings = settings with { Fencing = settings.Fencing with { ContenderDelay = TimeSpan.FromSeconds(delay) } };
                        break;
                    case "--metrics-listen" when System.Net.IPEndPoint.TryParse(value, out var endpoint) && endpoint.Port > 0 && value.Contains(':', StringComparison.Ordinal):
                        settings = settings with { MetricsListen = endpoint };
                        break;
                    case "--metrics-listen":
                        error = $"option --metrics-listen: '{value}' is not ADDRESS:PORT (e.g. 127.0.0.1:9746 or [::1]:9746)";
                        return false;
                    case "--script-timeout" or "--arp-count" or "--arp-interval" or "--stonith-timeout" or "--stonith-delay":
                        error = $"option {name}: '{value}' is out of range";
                        return false;
                    default:
                        error = $"unknown option '{name}'";
                        return false;
                }

                continue;
            }

            if (arg == "resource" && action == DaemonAction.Run && settings.ResourceVerb is null)
            {
                if (i + 1 >= args.Count || args[i + 1] is not ("takegroup" or "givegroup" or "status" or "listkeys" or "hold"))
                {
                    error = "resource needs takegroup, givegroup, status, listkeys or hold";
                    return false;
                }

                if (i + 2 >= args.Count)
                {
                    error = $"resource {args[i + 1]} needs a {(args[i + 1] == "listkeys" ? "node name" : "group key")}";
                    return false;
                }

                action = DaemonAction.Resource;
                settings = settings with { ResourceVerb = args[i + 1], ResourceArgument = args[i + 2] };
                i += 2;
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
                        settings = settings with { NormalPriority = true };
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
