using System.Collections.Concurrent;
using Heartbeat.Daemon.Resources;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Fencing;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Fencing;

/// <summary>The end of one reset attempt, for the loop to report to the node.</summary>
internal readonly record struct FenceOutcome(FenceRequest Request, FenceResult Result, TimeSpan Elapsed, string? Detail);

/// <summary>
/// Runs cluster-glue's <c>stonith</c> command as a child process (as 3.0.6 forked its reset child): a reset per
/// <see cref="FenceRequest"/>, killed with its process tree after the request's timeout, and the device check at
/// start. Results are queued and the loop woken; nothing here decides anything. Threads: <see cref="Reset"/> and
/// <see cref="TryTake"/> on the loop; the children's waits on the thread pool.
/// </summary>
internal sealed class FenceRunner(string stonithPath, Action wake, ILogger logger)
{
    private readonly ConcurrentQueue<FenceOutcome> _done = new();

    /// <summary>The device check's result ("OK", "not operational: …"), or null before it ended; read by the status.</summary>
    public string? DeviceStatus { get; private set; }

    /// <summary>Resets running now.</summary>
    public int Running => Volatile.Read(ref _running);

    private int _running;

    /// <summary>Starts one reset attempt; its outcome arrives through <see cref="TryTake"/>.</summary>
    public void Reset(FenceRequest request)
    {
        Interlocked.Increment(ref _running);
        _ = Task.Run(async () =>
        {
            FenceOutcome outcome;
            try
            {
                var run = await RunAsync(StonithCommand.ResetArguments(request.Device, request.Node), request.Timeout).ConfigureAwait(false);
                var result = StonithCommand.Classify(run.ExitCode, run.TimedOut);
                string? detail = run.TimedOut ? $"killed after {request.Timeout.TotalSeconds:0.#} s" : result == FenceResult.Ok ? null : $"exit {run.ExitCode}: {run.LastError ?? "no message"}";
                outcome = new FenceOutcome(request, result, run.Elapsed, detail);
            }
            catch (Exception ex)
            {
                // Whatever went wrong, the node hears of the attempt: an unanswered request would hold its takeover forever.
                outcome = new FenceOutcome(request, FenceResult.Bad, TimeSpan.Zero, $"cannot run {stonithPath}: {ex.Message}");
            }

            Interlocked.Decrement(ref _running);
            _done.Enqueue(outcome);
            wake();
        });
    }

    public bool TryTake(out FenceOutcome outcome) => _done.TryDequeue(out outcome);

    /// <summary>3.0.6 checks the device when it starts (stonith_get_status): the result is logged and shown in the status.</summary>
    public void CheckDevice(StonithDevice device, TimeSpan timeout)
    {
        _ = Task.Run(async () =>
        {
            try
            {
                var run = await RunAsync(StonithCommand.StatusArguments(device), timeout).ConfigureAwait(false);
                if (run.ExitCode == 0 && !run.TimedOut)
                {
                    DeviceStatus = "OK";
                    FencingLog.DeviceStatus(logger, LogLevel.Information, device.Describe(), $"device OK ({(long)run.Elapsed.TotalMilliseconds} ms)");
                }
                else
                {
                    string detail = run.TimedOut ? $"no answer in {timeout.TotalSeconds:0.#} s" : $"exit {run.ExitCode}: {run.LastError ?? "no message"}";
                    DeviceStatus = $"not operational ({detail})";
                    FencingLog.DeviceStatus(logger, LogLevel.Error, device.Describe(), $"not operational! {detail}");
                }
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
            {
                DeviceStatus = $"cannot run {stonithPath}: {ex.Message}";
                FencingLog.DeviceStatus(logger, LogLevel.Error, device.Describe(), DeviceStatus);
            }

            wake();
        });
    }

    private Task<ScriptRun> RunAsync(List<string> arguments, TimeSpan timeout) =>
        ScriptProcess.RunAsync(
            stonithPath,
            arguments,
            new ScriptSettings { ResourceDirectory = "/", Timeout = timeout },
            null,
            "/",
            (_, _) => { },
            CancellationToken.None);
}
