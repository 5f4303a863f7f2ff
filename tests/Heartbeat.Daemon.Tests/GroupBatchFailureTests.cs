using System.Text;
using Heartbeat.Daemon.Resources;
using Heartbeat.Protocol.Config;
using Microsoft.Extensions.Logging.Abstractions;

namespace Heartbeat.Daemon.Tests;

/// <summary>
/// What goes wrong inside a batch of groups started together (<see cref="ResourceExecutor.TakeGroupsAsync"/>): a
/// resource that throws fails its own group only, a cancellation still ends the batch, a key given twice is refused.
/// The resources are fakes (no script throws reliably), named for what they do: ok, fail (its start fails), throw (its
/// start throws), stopthrows (its stop throws), hang (its start waits for the cancellation).
/// </summary>
public sealed class GroupBatchFailureTests
{
    private readonly List<string> _calls = [];

    [Theory]
    [InlineData("server1 ok::a1\nserver1 ok::b1 throw::b2 ok::b3\nserver1 ok::c1\n", "b2 could not be read")]
    [InlineData("server1 ok::a1\nserver1 stopthrows::b1 fail::b2\nserver1 ok::c1\n", "b1 could not be read")]
    public async Task A_start_or_undo_that_throws_fails_its_group_only(string haresources, string reason)
    {
        using var executor = Executor(haresources);
        string[] keys = [.. executor.Groups.Select(g => g.Key)];

        var outcomes = await executor.TakeGroupsAsync(keys, CancellationToken.None);

        Assert.Equal([true, false, true], outcomes.Select(o => o.Success));
        Assert.Equal(keys, outcomes.Select(o => o.Group));
        Assert.Contains(reason, outcomes[1].Reason, StringComparison.Ordinal);

        // The group before is up; b2's start (thrown, or failed) is undone as any failed start is, b2 then b1, right to
        // left (b3 never started; b1's stop may throw: the group is failed all the same); the group after still starts.
        Assert.Equal(["a1 start", "b1 start", "b2 start", "b2 stop", "b1 stop", "c1 start"], _calls);
    }

    [Fact]
    public async Task The_single_group_path_fails_a_thrown_start_the_same_way()
    {
        using var executor = Executor("server1 ok::a1 throw::a2\n");

        var outcome = await executor.TakeGroupAsync(executor.Groups.Single().Key, CancellationToken.None);

        Assert.False(outcome.Success);
        Assert.Equal(["a1 start", "a2 start", "a2 stop", "a1 stop"], _calls);
    }

    [Fact]
    public async Task A_cancellation_still_ends_the_batch_and_frees_the_queues()
    {
        using var executor = Executor("server1 ok::a1\nserver1 hang::b1\n");
        string[] keys = [.. executor.Groups.Select(g => g.Key)];
        using var cancel = new CancellationTokenSource();

        var batch = executor.TakeGroupsAsync(keys, cancel.Token);
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => batch.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["a1 start", "b1 start"], _calls);

        // Neither group's queue is left taken.
        var again = await executor.TakeGroupsAsync([keys[0]], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(again[0].Success);
    }

    [Fact]
    public async Task A_group_given_twice_is_refused_before_anything_runs()
    {
        using var executor = Executor("server1 ok::a1\nserver1 ok::b1\n");
        string[] keys = [.. executor.Groups.Select(g => g.Key)];

        // Unchecked, the second wait on a1's queue would never end.
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => executor.TakeGroupsAsync([keys[0], keys[1], keys[0]], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains(keys[0], ex.Message, StringComparison.Ordinal);
        Assert.Empty(_calls);
        Assert.True((await executor.TakeGroupAsync(keys[0], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10))).Success);
    }

    private ResourceExecutor Executor(string haresources)
    {
        var parsed = HaResourcesParser.Parse(Encoding.UTF8.GetBytes(haresources), "haresources", ["server1", "server2"]);
        Assert.False(parsed.HasErrors);
        return new ResourceExecutor(parsed.Value!, NullLogger.Instance, TimeSpan.FromMilliseconds(1), (spec, _) => new Fake(spec, _calls));
    }

    /// <summary>Logs every start and stop as "name action"; never running to a status.</summary>
    private sealed class Fake(ResourceSpec spec, List<string> calls) : IManagedResource
    {
        public string Name => spec.Text;

        private string Id => spec.Arguments[0];

        public async Task<ResourceOutcome> StartAsync(CancellationToken cancellation)
        {
            calls.Add($"{Id} start");
            switch (spec.Script)
            {
                case "throw":
                    throw new IOException($"{Id} could not be read");
                case "hang":
                    await Task.Delay(Timeout.Infinite, cancellation);
                    break;
            }

            return spec.Script == "fail" ? ResourceOutcome.Failed("start exited with 1") : ResourceOutcome.Ok("started");
        }

        public Task<ResourceOutcome> StopAsync(CancellationToken cancellation)
        {
            calls.Add($"{Id} stop");
            return spec.Script == "stopthrows" ? throw new IOException($"{Id} could not be read") : Task.FromResult(ResourceOutcome.Ok("stopped"));
        }

        public Task<bool> IsRunningAsync(CancellationToken cancellation) => Task.FromResult(false);
    }
}
