using Heartbeat.Daemon.State;

namespace Heartbeat.Daemon.Membership;

/// <summary>Where this daemon finds its files and who it is; from the command line, with 3.0.6's paths as defaults.</summary>
public sealed record DaemonSettings
{
    public string ConfigDirectory { get; init; } = Config.ConfigDirectory.Default;

    public string StateDirectory { get; init; } = NodeStateFiles.DefaultDirectory;

    public string RunDirectory { get; init; } = "/run/heartbeat";

    public string PidFilePath { get; init; } = PidFile.DefaultPath;

    /// <summary>The node name: <c>--node</c>, or uname -n lower-cased as 3.0.6 does.</summary>
    public string NodeName { get; init; } = Environment.MachineName.ToLowerInvariant();

    public int DebugLevel { get; init; }
}
