using System.Threading.Channels;
using Heartbeat.Daemon.Logging;
using Heartbeat.Protocol.Resources;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Resources;

/// <summary>
/// Runs <c>rc.d</c> hooks one at a time in the order the messages came (3.0.6 queues them behind a single child), off
/// the event loop, each with the script timeout; output goes to the log. See <see cref="RcHooks"/> for which run.
/// </summary>
public sealed class RcHookRunner : IAsyncDisposable
{
    private readonly string _directory;
    private readonly ScriptSettings _scripts;
    private readonly ILogger _logger;
    private readonly Channel<(string Hook, IReadOnlyDictionary<string, string> Environment)> _queue =
        Channel.CreateBounded<(string, IReadOnlyDictionary<string, string>)>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private readonly Task _worker;
    private readonly HashSet<string> _reportedStock = new(StringComparer.Ordinal);
    private long _dropped;

    public RcHookRunner(string directory, ScriptSettings scripts, ILogger logger)
    {
        (_directory, _scripts, _logger) = (directory, scripts, logger);
        _worker = Task.Run(WorkAsync);
    }

    /// <summary>Queues the hook for this message type when there is one to run; returns whether it was queued.</summary>
    public bool Enqueue(string type, IReadOnlyDictionary<string, string> environment)
    {
        if (Runnable(type) is null)
        {
            return false;
        }

        if (!_queue.Writer.TryWrite((type, environment)))
        {
            // A flood of messages must not queue unbounded children.
            RcHookLog.Dropped(_logger, type, Interlocked.Increment(ref _dropped));
            return false;
        }

        return true;
    }

    /// <summary>Runs a hook now and waits for it (local_giveip before a group is given up).</summary>
    public async Task RunNowAsync(string hook, IReadOnlyDictionary<string, string> environment, string argument)
    {
        if (Runnable(hook) is { } path)
        {
            await RunAsync(hook, path, environment, argument).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAny(_worker, Task.Delay(_scripts.Timeout)).ConfigureAwait(false);
    }

    /// <summary>The hook's path if it exists, is executable and is not a stock 3.0.6 hook whose work we do natively.</summary>
    private string? Runnable(string type)
    {
        if (!RcHooks.IsHookName(type))
        {
            return null;
        }

        string path = Path.Join(_directory, type);
        try
        {
            if (!File.Exists(path) || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
            {
                return null;
            }

            if (RcHooks.StockHooks.ContainsKey(type) && RcHooks.IsStock(type, File.ReadAllBytes(path)))
            {
                lock (_reportedStock)
                {
                    if (_reportedStock.Add(type))
                    {
                        RcHookLog.StockSkipped(_logger, path);
                    }
                }

                return null;
            }

            return path;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            RcHookLog.Failed(_logger, path, ex.Message);
            return null;
        }
    }

    private async Task WorkAsync()
    {
        await foreach (var (hook, environment) in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (Runnable(hook) is { } path)
            {
                await RunAsync(hook, path, environment, hook).ConfigureAwait(false);
            }
        }
    }

    private async Task RunAsync(string hook, string path, IReadOnlyDictionary<string, string> environment, string argument)
    {
        try
        {
            // harc runs "rc.d/<type> <type>".
            var run = await ScriptProcess.RunAsync(path, [argument], _scripts, environment, "/", (line, _) => Output(hook, line), CancellationToken.None).ConfigureAwait(false);
            if (run.TimedOut)
            {
                RcHookLog.Failed(_logger, path, $"killed after the script timeout ({_scripts.Timeout.TotalSeconds:0} s)");
            }
            else
            {
                RcHookLog.Ran(_logger, path, argument, run.ExitCode, (long)run.Elapsed.TotalMilliseconds);
            }
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            RcHookLog.Failed(_logger, path, ex.Message);
        }
    }

    private void Output(string hook, string line) => RcHookLog.Output(_logger, hook, line);
}
