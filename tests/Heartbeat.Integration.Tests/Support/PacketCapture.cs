using System.Diagnostics;
using System.Globalization;

namespace Heartbeat.Integration.Tests.Support;

/// <summary>
/// tcpdump on one interface of a lab namespace, line-buffered with epoch timestamps (<c>-l -n -tt</c>), collecting what
/// it prints. The constructor returns once tcpdump says it is listening, so nothing sent afterwards is missed. Used by
/// the integration tests (ARP frames of a takeover) and the benchmark (takeover timelines, first keepalive on the wire).
/// </summary>
public sealed class PacketCapture : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly Action<string>? _onLine;

    /// <param name="netns">The namespace to capture in.</param>
    /// <param name="filter">A pcap filter expression.</param>
    /// <param name="interfaceName">The interface (the lab's nodes and client use ens18).</param>
    /// <param name="linkLevel">Print the Ethernet header too (<c>-e</c>): source and destination MAC.</param>
    /// <param name="count">Exit after this many packets (<c>-c</c>); 0 for no limit.</param>
    /// <param name="onLine">Called with every line as it is printed (on tcpdump's reader thread).</param>
    /// <param name="verbose">Decode in detail (<c>-vv</c>): flags, options, and whether checksums are right.</param>
    /// <param name="payload">
    /// Print each packet's bytes as text after its line (<c>-A</c>): a Heartbeat datagram's fields then follow as lines of
    /// their own ("t=status", "info=done"), the IP and UDP headers as dots before its first line.
    /// </param>
    /// <param name="pcapFile">
    /// Write the packets to this libpcap file instead of printing them (for <c>hbctl decode</c>): every packet as it
    /// arrives (<c>--immediate-mode -U</c>: without immediate mode the kernel hands packets over in blocks, up to a
    /// second late, and those still pending when tcpdump is stopped never reach the file), as root (<c>-Z root</c>:
    /// Debian's tcpdump drops to its own user before opening the file).
    /// </param>
    public PacketCapture(string netns, string filter, string interfaceName = "ens18", bool linkLevel = false, int count = 0, Action<string>? onLine = null, bool verbose = false, string? pcapFile = null, bool payload = false)
    {
        _onLine = onLine;
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        List<string> arguments = ["netns", "exec", netns, "tcpdump", "-l", "-n", "-tt"];
        if (linkLevel)
        {
            arguments.Add("-e");
        }

        if (verbose)
        {
            arguments.Add("-vv");
        }

        if (payload)
        {
            arguments.Add("-A");
        }

        if (count > 0)
        {
            arguments.AddRange(["-c", count.ToString(CultureInfo.InvariantCulture)]);
        }

        if (pcapFile is not null)
        {
            arguments.AddRange(["--immediate-mode", "-U", "-Z", "root", "-w", pcapFile]);
        }

        arguments.AddRange(["-i", interfaceName, filter]);
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var listening = new ManualResetEventSlim();
        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (_lines)
                {
                    _lines.Add(line);
                }

                _onLine?.Invoke(line);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("listening on", StringComparison.Ordinal) == true)
            {
                // The event may be disposed once the constructor has returned (or thrown).
                try
                {
                    listening.Set();
                }
                catch (ObjectDisposedException)
                {
                }
            }
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (!listening.Wait(TimeSpan.FromSeconds(10)))
        {
            Dispose();
            throw new TimeoutException($"tcpdump did not start in {netns}");
        }
    }

    /// <summary>The lines printed so far.</summary>
    public List<string> Lines()
    {
        lock (_lines)
        {
            return [.. _lines];
        }
    }

    /// <summary>
    /// Stops tcpdump the way that keeps its last lines (SIGINT flushes them), then waits for its output to be drained;
    /// bounded at every step. Safe to call more than once.
    /// </summary>
    public void Stop()
    {
        try
        {
            if (!_process.HasExited)
            {
                Lab.Signal(_process.Id, "INT");
                if (!_process.WaitForExit(5000))
                {
                    _process.Kill(entireProcessTree: true);
                }
            }

            // Without a timeout this also waits for the redirected output to reach the handlers.
            if (_process.WaitForExit(5000))
            {
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already disposed.
        }
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
    }
}
