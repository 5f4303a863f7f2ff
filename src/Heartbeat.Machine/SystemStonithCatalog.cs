using System.Diagnostics;
using Heartbeat.Protocol.Fencing;

namespace Heartbeat.Machine;

/// <summary>cluster-glue as installed on this machine, asked through its stonith command.</summary>
public sealed class SystemStonithCatalog(string stonithPath = "/usr/sbin/stonith") : IStonithCatalog
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public IReadOnlyCollection<string>? Types => File.Exists(stonithPath) ? Lines(["-L"]) : null;

    public IReadOnlyList<string> ParameterNames(string type) => Lines(["-t", type, "-n"]).SelectMany(l => l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)).ToList();

    public bool FileExists(string path) => File.Exists(path);

    private List<string> Lines(string[] arguments)
    {
        var info = new ProcessStartInfo(stonithPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
        }

        _ = error.Result;
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }
}
