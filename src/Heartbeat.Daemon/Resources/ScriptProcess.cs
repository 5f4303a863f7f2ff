using System.Diagnostics;
using System.Text;

namespace Heartbeat.Daemon.Resources;

/// <summary>How a script run ended: its exit code (-1 when killed), its stdout, and its last non-blank stderr line.</summary>
public sealed record ScriptRun(int ExitCode, string Stdout, bool TimedOut, string? LastError, TimeSpan Elapsed);

/// <summary>
/// One run of a script the way 3.0.6's children run them (resource scripts and rc.d hooks alike): stdin closed,
/// <c>LC_ALL=C</c> plus the configured environment, each output line handed to the caller as it comes, and the whole
/// process tree killed when it outlives the script timeout.
/// </summary>
public static class ScriptProcess
{
    /// <summary>How long a killed child's output may take to end before its run is reported anyway.</summary>
    private static readonly TimeSpan KilledDrainLimit = TimeSpan.FromSeconds(5);

    /// <summary>Runs <paramref name="path"/>; <paramref name="line"/> gets each output line with whether it came on stderr.</summary>
    public static async Task<ScriptRun> RunAsync(
        string path,
        IEnumerable<string> arguments,
        ScriptSettings settings,
        IReadOnlyDictionary<string, string>? extraEnvironment,
        string workingDirectory,
        Action<string, bool> line,
        CancellationToken cancellation)
    {
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["LC_ALL"] = "C";
        foreach (var (name, value) in settings.Environment)
        {
            info.Environment[name] = value;
        }

        foreach (var (name, value) in extraEnvironment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var stdout = new StringBuilder();
        string? lastError = null;
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } text)
            {
                lock (stdout)
                {
                    stdout.Append(text).Append('\n');
                }

                line(text, false);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } text)
            {
                if (!string.IsNullOrWhiteSpace(text))
                {
                    Volatile.Write(ref lastError, text.Trim());
                }

                line(text, true);
            }
        };
        long started = Stopwatch.GetTimestamp();
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(settings.Timeout);
        bool timedOut = false;
        try
        {
            // Returns once the output streams are drained too.
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            try
            {
                // Bounded: a grandchild that left the tree (setsid: an ssh, a helper daemon) keeps the output pipes open,
                // and waiting for their end would wait for it; the killed child's exit is what the timeout promised.
                await process.WaitForExitAsync(CancellationToken.None).WaitAsync(KilledDrainLimit).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }

            timedOut = true;
        }

        string output;
        lock (stdout)
        {
            output = stdout.ToString();
        }

        return new ScriptRun(timedOut ? -1 : process.ExitCode, output, timedOut, Volatile.Read(ref lastError), Stopwatch.GetElapsedTime(started));
    }
}
