using System.Text;
using Heartbeat.Daemon.State;
using Heartbeat.Protocol.Config;

namespace Heartbeat.Daemon.Tests;

public sealed class StateFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hbnet-state-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Files_written_by_a_real_306_node_are_read_and_continued_in_its_format()
    {
        // As a real 3.0.6 node left them (seen in the lab): 16 raw uuid bytes; "%15d\n" generation.
        byte[] uuid = Convert.FromHexString("14862e99b8014977b0a6a764ea3a5554");
        File.WriteAllBytes(Path.Join(_dir, "hb_uuid"), uuid);
        File.WriteAllText(Path.Join(_dir, "hb_generation"), "     1795994919\n");

        var files = new NodeStateFiles(_dir);
        var loaded = files.LoadOrCreateUuid(UuidSource.File, "server1", out bool created);
        Assert.False(created);
        Assert.Equal("14862e99-b801-4977-b0a6-a764ea3a5554", loaded.ToString());

        Assert.Equal(1795994920UL, files.NextGeneration(GenerationMethod.File, DateTimeOffset.UnixEpoch));
        Assert.Equal("     1795994920\n", File.ReadAllText(files.GenerationPath));
        Assert.Equal(1795994921UL, files.NextGeneration(GenerationMethod.File, DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public void A_first_start_creates_a_random_uuid_and_a_time_based_generation()
    {
        var files = new NodeStateFiles(_dir);
        var uuid = files.LoadOrCreateUuid(UuidSource.File, "server1", out bool created);
        Assert.True(created);
        Assert.Equal(uuid.ToBytes(), File.ReadAllBytes(files.UuidPath));
        Assert.Equal(uuid, files.LoadOrCreateUuid(UuidSource.File, "server1", out created));
        Assert.False(created);

        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        Assert.Equal(1_800_000_000UL, files.NextGeneration(GenerationMethod.File, now));
        Assert.Equal(1_800_000_005UL, files.NextGeneration(GenerationMethod.Time, now.AddSeconds(5)));
    }

    [Fact]
    public void Broken_state_files_are_named_with_the_problem()
    {
        File.WriteAllBytes(Path.Join(_dir, "hb_uuid"), [1, 2, 3]);
        File.WriteAllText(Path.Join(_dir, "hb_generation"), "banana\n");
        var files = new NodeStateFiles(_dir);
        var uuidError = Assert.Throws<StateFileException>(() => files.LoadOrCreateUuid(UuidSource.File, "x", out _));
        Assert.Contains("hb_uuid: holds 3 bytes", uuidError.Message, StringComparison.Ordinal);
        var genError = Assert.Throws<StateFileException>(() => files.NextGeneration(GenerationMethod.File, DateTimeOffset.UnixEpoch));
        Assert.Contains("hb_generation: does not hold a decimal generation", genError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pid_file_has_306_layout_and_ignores_stale_pids()
    {
        var pidFile = new PidFile(Path.Join(_dir, "heartbeat.pid"));
        Assert.Null(pidFile.FindRunning());
        pidFile.Write(4242);
        Assert.Equal("      4242\n", File.ReadAllText(pidFile.Path, Encoding.ASCII));

        // A pid of another program (this test host) is not taken for a running heartbeat unless its command matches.
        pidFile.Write(Environment.ProcessId);
        string comm = File.ReadAllText($"/proc/{Environment.ProcessId}/comm").Trim();
        Assert.Equal(comm is "heartbeat" or "Heartbeat.Daemon" or "dotnet" ? Environment.ProcessId : null, pidFile.FindRunning());
        File.WriteAllText(pidFile.Path, "garbage");
        Assert.Null(pidFile.FindRunning());
    }

    [Fact]
    public void A_state_directory_that_is_a_file_or_missing_gives_an_error_naming_it()
    {
        string file = Path.Join(_dir, "not-a-directory");
        File.WriteAllText(file, "x");
        var error = Assert.Throws<StateFileException>(() => new NodeStateFiles(file).LoadOrCreateUuid(UuidSource.File, "server1", out _));
        Assert.Equal(file, error.FilePath);
        Assert.Contains("is a file; it must be the directory", error.Message, StringComparison.Ordinal);

        string missing = Path.Join(_dir, "missing");
        error = Assert.Throws<StateFileException>(() => new NodeStateFiles(missing).NextGeneration(GenerationMethod.File, DateTimeOffset.UnixEpoch));
        Assert.Equal(Path.Join(missing, "hb_generation"), error.FilePath);
        Assert.Contains($"cannot be written", error.Message, StringComparison.Ordinal);
        Assert.Contains($"the state directory {missing} must exist, be writable and have space", error.Message, StringComparison.Ordinal);
    }
}
