using System.Collections.Concurrent;
using System.Diagnostics;

namespace Heartbeat.Integration.Tests.Support;

/// <summary><c>ip -ts monitor address</c> in a namespace: every address change with its UTC time, kept until disposed.</summary>
public sealed class AddressMonitor : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private AddressMonitor(Process process) => _process = process;

    public static AddressMonitor Start(string netns)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in (string[])["-ts", "-n", netns, "monitor", "address"])
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["TZ"] = "UTC";
        var monitor = new AddressMonitor(Process.Start(info)!);
        monitor._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                monitor._lines.Enqueue(line);
            }
        };
        monitor._process.BeginOutputReadLine();
        Thread.Sleep(200); // subscribed before the test moves anything
        return monitor;
    }

    /// <summary>The lines naming <paramref name="address"/> as a whole address (not a prefix of another).</summary>
    public List<string> Lines(string address) => [.. _lines.Where(l => l.Contains($" {address}/", StringComparison.Ordinal))];

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }

        _process.Dispose();
    }
}
