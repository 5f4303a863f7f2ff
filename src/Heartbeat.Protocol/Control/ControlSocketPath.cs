namespace Heartbeat.Protocol.Control;

/// <summary>
/// Where the control socket lives, one rule for the daemon that binds it and hbctl that connects:
/// <c>&lt;run dir&gt;/control.sock</c>.
/// </summary>
public static class ControlSocketPath
{
    public const string FileName = "control.sock";

    public static string In(string runDirectory) => Path.Join(runDirectory, FileName);
}
