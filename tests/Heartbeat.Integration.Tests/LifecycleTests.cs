using System.Diagnostics;
using Heartbeat.Integration.Tests.Support;

namespace Heartbeat.Integration.Tests;

public class LifecycleTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The drop-in path: a real 3.0.6 node is stopped and ours starts in its place with its /etc/ha.d and
    /// /var/lib/heartbeat unchanged. The other real node sees the same node (same uuid) restarted with a newer
    /// generation, active again, and nothing to complain about.
    /// </summary>
    [Fact]
    public async Task A_real_node_converted_to_ours_keeps_its_identity()
    {
        await using var lab = new Lab("convert");
        var nodes = lab.Declare(true, true);
        var (converted, other) = (nodes[0], nodes[1]);
        await Formation.AssertFormsAsync(lab, nodes);

        string realUuid = Convert.ToHexStringLower(File.ReadAllBytes(Path.Join(converted.Directory, "lib", "hb_uuid")));
        ulong realGeneration = ulong.Parse(File.ReadAllText(Path.Join(converted.Directory, "lib", "hb_generation")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        int mark = other.Log().Length;
        int ownMark = converted.Log().Length;
        lab.Stop(converted);
        Assert.True(Lab.WaitForLog(converted, "Heartbeat shutdown complete", Wait, ownMark), lab.Describe());

        // Complaints from here on are about ours (the real node's own shutdown may cost a packet or two).
        int oursMark = other.Log().Length;
        // With the node's own /var/log, so its ha.cf's "logfile /var/log/ha-log" is the node's log, not this machine's.
        converted.VarLog = Path.Join(converted.Directory, "log");
        int haLogMark = converted.Log().Length;
        lab.StartOurs(converted, Path.Join(converted.Directory, "ha.d"), Path.Join(converted.Directory, "lib"));
        Assert.True(Lab.WaitForLog(other, $"Heartbeat restart on node {converted.Name}", Wait, mark), lab.Describe());
        Assert.True(Lab.WaitForLog(other, $"Status update for node {converted.Name}: status active", Wait, mark), lab.Describe());
        Assert.True(Lab.WaitUntil(() => LabNode.ReadShared(Lab.OursLogPath(converted)).Contains("Comm_now_up", StringComparison.Ordinal), Wait));

        string ours = LabNode.ReadShared(Lab.OursLogPath(converted));
        string dashed = $"{realUuid[..8]}-{realUuid[8..12]}-{realUuid[12..16]}-{realUuid[16..20]}-{realUuid[20..]}";
        Assert.Contains($"uuid {dashed}, generation {realGeneration + 1}", ours, StringComparison.Ordinal);
        Thread.Sleep(2000);
        Assert.Empty(LogChecks.TroubleIn(other.Log()[oursMark..]));

        // ha.cf's logfile is honoured, in 3.0.6's line format: the node's ha-log goes on where the real daemon left it.
        string haLog = converted.Log()[haLogMark..];
        Assert.Matches($@"(?m)^[A-Z][a-z]{{2}} \d\d \d\d:\d\d:\d\d {converted.Name} heartbeat: \[\d+\]: info: Comm_now_up\(\): updating status to active", haLog);
    }

    /// <summary><c>heartbeat -s</c> and <c>-k</c> as init scripts use them; -k is a graceful leave the real peer sees at once.</summary>
    [Fact]
    public async Task Status_and_stop_flags_behave_like_306()
    {
        await using var lab = new Lab("flags");
        var nodes = lab.Declare(true, false);
        var (real, ours) = (nodes[0], nodes[1]);
        await Formation.AssertFormsAsync(lab, nodes);
        string run = Path.Join(ours.Directory, "run");

        var (code, text) = RunDaemon("-s", "--run-dir", run, "--node", ours.Name);
        Assert.Equal(0, code);
        Assert.Matches(@"^heartbeat OK \[pid \d+ et al\] is running on server2 \[server2\]\.\.\.", text);

        int mark = real.Log().Length;
        (code, _) = RunDaemon("-k", "--run-dir", run);
        Assert.Equal(0, code);
        Assert.True(Lab.WaitForLog(real, $"Received shutdown notice from '{ours.Name}'", Wait, mark), lab.Describe());
        Assert.True(Lab.OursProcess(ours)!.WaitForExit(5000), "heartbeat -k returned but the daemon still runs");
        Assert.True(Lab.WaitForLog(ours, "Heartbeat shutdown complete.", Wait), lab.Describe());

        (code, text) = RunDaemon("-s", "--run-dir", run);
        Assert.Equal(3, code);
        Assert.Equal("heartbeat is stopped. No process", text.Trim());
        (code, _) = RunDaemon("-k", "--run-dir", run);
        Assert.Equal(0, code);
    }

    /// <summary>
    /// A state directory that is full or a file (a missing one is created): the daemon refuses to start with exit status 1 and one line
    /// naming the path and the problem (no stack trace), and leaves no partial file behind.
    /// </summary>
    [Fact]
    public async Task A_full_or_misplaced_state_directory_stops_the_start_with_a_clear_error()
    {
        await using var lab = new Lab("state dir");
        var node = lab.Declare(false, false)[1];
        string full = Path.Join(node.Directory, "full-state");
        Directory.CreateDirectory(full);
        Assert.Equal(0, Run("mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", full));
        try
        {
            // Fill it to the last block.
            using (var filler = File.Create(Path.Join(full, "filler")))
            {
                try
                {
                    filler.Write(new byte[64 * 1024]);
                    filler.Flush();
                }
                catch (IOException)
                {
                    // ENOSPC: full, as wanted.
                }
            }

            string aFile = Path.Join(node.Directory, "state-file");
            File.WriteAllText(aFile, "x");
            (string State, string Expected)[] cases =
            [
                (full, $"Cannot start: {full}/hb_uuid: cannot be written: No space left on device"),
                (aFile, $"Cannot start: {aFile}: is a file; it must be the directory"),
            ];
            foreach (var (state, expected) in cases)
            {
                File.Delete(Lab.OursLogPath(node));
                lab.StartOurs(node, Path.Join(node.Directory, "etc"), state);
                var process = Lab.OursProcess(node)!;
                Assert.True(process.WaitForExit(30_000), $"{state}: the daemon did not exit\n{lab.Describe()}");
                Assert.True(Lab.WaitUntil(() => node.Log().Contains(expected, StringComparison.Ordinal), TimeSpan.FromSeconds(5)), $"{state}: no '{expected}'\n{lab.Describe()}");
                Assert.Equal(1, process.ExitCode);
                Assert.DoesNotContain("   at ", node.Log(), StringComparison.Ordinal);
            }

            Assert.Equal(["filler"], Directory.GetFiles(full).Select(Path.GetFileName));
        }
        finally
        {
            Run("umount", "-l", full);
        }
    }

    private static int Run(string command, params string[] args)
    {
        using var process = Process.Start(command, args);
        Assert.True(process.WaitForExit(30_000), command + " hung");
        return process.ExitCode;
    }

    private static (int Code, string Output) RunDaemon(params string[] args)
    {
        var info = new ProcessStartInfo(Lab.OurDaemon) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(70_000), "heartbeat " + string.Join(' ', args) + " hung");
        return (process.ExitCode, output);
    }
}
