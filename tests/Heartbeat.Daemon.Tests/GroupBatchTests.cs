using System.Text;
using Heartbeat.Daemon.Net;
using Heartbeat.Daemon.Resources;
using Heartbeat.Daemon.Threads;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Node;
using Heartbeat.Protocol.Resources;
using Microsoft.Extensions.Logging.Abstractions;

namespace Heartbeat.Daemon.Tests;

/// <summary>
/// Groups due at the same time started together (<see cref="ResourceExecutor.TakeGroupsAsync"/>, the group worker's
/// batches): each group keeps its own order, its own undo and its own result. (Their leading VIPs sharing one netlink
/// batch and one ARP burst needs network namespaces: LargeGroupTests.)
/// </summary>
public sealed class GroupBatchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hbnet-groupbatch-").FullName;

    public GroupBatchTests()
    {
        // ok: starts and stops; fail: its start fails. Both say "stopped" to a status (exit 3), and log every call.
        Script("ok", "exit 0");
        Script("fail", "[ \"$2\" = start ] && exit 1; exit 0");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Groups_started_together_keep_their_own_order_undo_and_result()
    {
        using var executor = Executor("server1 ok::a1 ok::a2\nserver1 fail::b1 ok::b2\nserver1 ok::c1\n");
        string[] keys = [.. executor.Groups.Select(g => g.Key)];

        var outcomes = await executor.TakeGroupsAsync(keys, CancellationToken.None);

        Assert.Equal([true, false, true], outcomes.Select(o => o.Success));
        Assert.Equal(keys, outcomes.Select(o => o.Group));
        Assert.Contains("fail::b1", outcomes[1].Reason, StringComparison.Ordinal);

        // The first group whole, then the second (its failed start undone; b2 never started), then the third.
        Assert.Equal(["a1 start", "a2 start", "b1 start", "b1 stop", "c1 start"], Calls());
    }

    [Fact]
    public async Task The_worker_starts_a_turns_acquisitions_together_and_reports_each()
    {
        using var executor = Executor("server1 ok::a1\nserver1 ok::b1\nserver1 ok::c1\n");
        string[] keys = [.. executor.Groups.Select(g => g.Key)];
        using var woken = new SemaphoreSlim(0);
        var worker = new GroupWorker(executor, "server1", TimeProvider.System, () => woken.Release(), NullLogger.Instance);
        await using var hooks = new RcHookRunner(_dir, new ScriptSettings { ResourceDirectory = _dir }, NullLogger.Instance);
        worker.Start(hooks, new RealtimeThreads(false, null, NullLogger.Instance));

        // One turn: two acquisitions and a release of the first group; the release waits for both, and runs after them.
        worker.Hold();
        worker.Enqueue(new GroupRequest(keys[0], GroupAction.Acquire, GroupCause.Placement, "test"));
        worker.Enqueue(new GroupRequest(keys[1], GroupAction.Acquire, GroupCause.Placement, "test"));
        worker.Enqueue(new GroupRequest(keys[0], GroupAction.Release, GroupCause.Placement, "test"));
        worker.Release();

        var results = new List<(string Key, GroupAction Action, bool Success)>();
        while (results.Count < 3)
        {
            Assert.True(await woken.WaitAsync(TimeSpan.FromSeconds(30)), "no result within 30 s");
            while (worker.TryTakeResult(out var result))
            {
                results.Add((result.Key, result.Action, result.Success));
            }
        }

        worker.Complete();
        worker.Join();
        Assert.Equal([(keys[0], GroupAction.Acquire, true), (keys[1], GroupAction.Acquire, true), (keys[0], GroupAction.Release, true)], results);
        Assert.Equal(["a1 start", "b1 start", "a1 stop"], Calls());
    }

    private ResourceExecutor Executor(string haresources)
    {
        var parsed = HaResourcesParser.Parse(Encoding.UTF8.GetBytes(haresources), "haresources", ["server1", "server2"]);
        Assert.False(parsed.HasErrors);
        return new ResourceExecutor(parsed.Value!, new ScriptSettings { ResourceDirectory = _dir }, new ArpAnnouncement(), NullLogger.Instance, TimeSpan.FromMilliseconds(1));
    }

    private void Script(string name, string body)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, $"#!/bin/sh\n[ \"$2\" = status ] && {{ echo stopped; exit 3; }}\necho \"$1 $2\" >> '{_dir}/calls'\n{body}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private string[] Calls() => File.Exists(Path.Combine(_dir, "calls")) ? File.ReadAllLines(Path.Combine(_dir, "calls")) : [];
}
