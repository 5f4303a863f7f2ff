using Heartbeat.Daemon.State;

namespace Heartbeat.Daemon;

/// <summary>Where this daemon finds its files and who it is; from the command line, with 3.0.6's paths as defaults.</summary>
public sealed record DaemonSettings
{
    public string ConfigDirectory { get; init; } = Machine.ConfigDirectory.Default;

    public string StateDirectory { get; init; } = NodeStateFiles.DefaultDirectory;

    public string RunDirectory { get; init; } = "/run/heartbeat";

    /// <summary>Where logs go: journald when run by systemd (auto), or always journal, or always the console.</summary>
    public LogTarget LogTarget { get; init; } = LogTarget.Auto;

    public string PidFilePath { get; init; } = PidFile.DefaultPath;

    /// <summary>The node name: <c>--node</c>, or uname -n lower-cased as 3.0.6 does.</summary>
    public string NodeName { get; init; } = Environment.MachineName.ToLowerInvariant();

    public int DebugLevel { get; init; }

    /// <summary><c>-l</c>: no realtime scheduling even when ha.cf's <c>realtime</c> is on (3.0.6's flag).</summary>
    public bool NormalPriority { get; init; }

    /// <summary>How long a resource script may run before it is killed and its action counts as failed.</summary>
    public TimeSpan ScriptTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Gratuitous ARP rounds per VIP announcement (send_arp's default 5).</summary>
    public int ArpCount { get; init; } = 5;

    public TimeSpan ArpInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The STONITH timers: <c>--stonith-timeout</c> per attempt, <c>--stonith-delay</c> for the node without the groups.</summary>
    public Protocol.Fencing.FencingOptions Fencing { get; init; } = Protocol.Fencing.FencingOptions.Default;

    /// <summary>cluster-glue's stonith command.</summary>
    public string StonithPath { get; init; } = Heartbeat.Daemon.Fencing.StonithCommand.DefaultPath;

    /// <summary>
    /// <c>--metrics-listen ADDRESS:PORT</c>: where the Prometheus endpoint listens; null (the default) means no listener.
    /// A flag, not an ha.cf directive: a real 3.0.6 peer reading the same ha.cf would refuse an unknown directive.
    /// </summary>
    public System.Net.IPEndPoint? MetricsListen { get; init; }

    /// <summary>For <c>heartbeat resource</c>: the verb and its argument.</summary>
    public string? ResourceVerb { get; init; }

    public string? ResourceArgument { get; init; }
}

/// <summary>The <c>--log</c> choice.</summary>
public enum LogTarget
{
    Auto,
    Journal,
    Console,
}
