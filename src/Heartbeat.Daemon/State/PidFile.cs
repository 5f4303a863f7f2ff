using System.Globalization;

namespace Heartbeat.Daemon.State;

/// <summary>
/// The pid file <c>heartbeat -s</c>, <c>-k</c> and <c>-r</c> find the running daemon by; the pid right-aligned in 10
/// columns plus a newline, as 3.0.6 writes <c>/run/heartbeat.pid</c>.
/// </summary>
public sealed class PidFile(string path)
{
    public const string DefaultPath = "/run/heartbeat.pid";

    public string Path { get; } = path;

    public void Write(int pid)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        File.WriteAllText(Path, string.Create(CultureInfo.InvariantCulture, $"{pid,10}\n"));
    }

    /// <summary>The pid of a running daemon, or null when there is none (no file, garbage, or a dead or foreign process).</summary>
    public int? FindRunning()
    {
        string text;
        try
        {
            text = File.ReadAllText(Path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid <= 0)
        {
            return null;
        }

        // A stale file may name a pid that now belongs to another program: check the process's command.
        string comm;
        try
        {
            comm = File.ReadAllText($"/proc/{pid}/comm").Trim();
            if (File.ReadAllText($"/proc/{pid}/stat").Split(' ').ElementAtOrDefault(2) == "Z")
            {
                return null;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return comm is "heartbeat" or "Heartbeat.Daemon" or "dotnet" ? pid : null;
    }

    /// <summary>Whether the process exists and is not a zombie (an exited child its parent has not reaped yet).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat").Split(' ').ElementAtOrDefault(2) is { } state && state != "Z" && state != "X";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public void Remove(int ownPid)
    {
        if (FindRunningOwner() == ownPid)
        {
            File.Delete(Path);
        }
    }

    private int? FindRunningOwner()
    {
        try
        {
            return int.TryParse(File.ReadAllText(Path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
