using System.Diagnostics;
using System.Text.Json;
using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// Our entries as journald keeps them: a real systemd-journald runs in a private mount namespace (its sockets and
/// volatile storage on tmpfs there, the host's journal untouched; "slave" so the labs' network namespaces, bound
/// later in the host, are seen inside), our daemon logs to it with --log journal, and
/// journalctl reads the fields back.
/// </summary>
public class JournaldTests(ITestOutputHelper output) : FailoverScenario(output)
{
    [Fact]
    public async Task A_takeover_can_be_found_with_journalctl_by_its_fields()
    {
        using var journald = PrivateJournald.Start();
        await using var lab = NewLab("journald", "on");
        var nodes = Declare(lab, Pairing.OursAndOurs);
        var (victim, survivor) = (nodes[0], nodes[1]);
        survivor.MountNamespaceOf = journald.Pid;
        lab.StartOurs(survivor, Path.Join(survivor.Directory, "etc"), Path.Join(survivor.Directory, "state"), "--log", "journal");
        lab.Start(victim);
        Assert.True(Lab.WaitUntil(() => Holds(lab, victim, Vip1) && Holds(lab, survivor, Vip2), Wait), lab.Describe());

        lab.Kill(victim);
        Assert.True(Lab.WaitUntil(() => Holds(lab, survivor, Vip1), Wait), lab.Describe());
        JsonElement[] entries = [];
        Assert.True(Lab.WaitUntil(() => (entries = journald.Read("HB_EVENT=takeover")).Length > 0, TimeSpan.FromSeconds(10)), "no takeover entry in the journal");
        var takeover = entries[0];
        Output.WriteLine(takeover.ToString());
        Assert.Equal("heartbeat", takeover.GetProperty("SYSLOG_IDENTIFIER").GetString());
        Assert.Equal("4", takeover.GetProperty("PRIORITY").GetString());
        Assert.Equal("server2", takeover.GetProperty("HB_NODE").GetString());
        Assert.Equal("server1", takeover.GetProperty("HB_PEER").GetString());
        Assert.Equal($"IPaddr2::{Vip1}/24/ens18", takeover.GetProperty("HB_GROUP").GetString());
        Assert.StartsWith("Taking over group", takeover.GetProperty("MESSAGE").GetString(), StringComparison.Ordinal);

        var dead = Assert.Single(journald.Read("HB_EVENT=node_dead", "HB_PEER=server1"));
        Assert.Contains("node server1: is dead", dead.GetProperty("MESSAGE").GetString(), StringComparison.Ordinal);
        // The status counts it too.
        using (var status = JsonDocument.Parse(Lab.RunHbctl(survivor, "status", "--json").Output))
        {
            Assert.Equal(1, status.RootElement.GetProperty("counters").GetProperty("takeovers").GetInt64());
        }

        // With --log journal nothing goes to stdout.
        Assert.DoesNotContain("Taking over", File.ReadAllText(Lab.OursLogPath(survivor)), StringComparison.Ordinal);
    }

    /// <summary>systemd-journald alone in a new mount namespace; disposed with the test.</summary>
    private sealed class PrivateJournald : IDisposable
    {
        private readonly Process _process;

        private PrivateJournald(Process process) => _process = process;

        public int Pid => _process.Id;

        public static PrivateJournald Start()
        {
            var info = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in (string[])["--mount", "--propagation", "slave", "sh", "-c",
                "mount -t tmpfs tmpfs /run/systemd && mkdir -p /run/systemd/journal && mount -t tmpfs tmpfs /run/log && mkdir -p /run/log/journal && " +
                "{ [ ! -d /var/log/journal ] || mount -t tmpfs tmpfs /var/log/journal; } && exec /lib/systemd/systemd-journald"])
            {
                info.ArgumentList.Add(arg);
            }

            var journald = new PrivateJournald(Process.Start(info)!);
            if (!Lab.WaitUntil(() => journald.Run("test", "-S", "/run/systemd/journal/socket").Code == 0, TimeSpan.FromSeconds(10)))
            {
                journald.Dispose();
                throw new InvalidOperationException("systemd-journald did not come up");
            }

            return journald;
        }

        public JsonElement[] Read(params string[] matches)
        {
            var (_, text) = Run(["journalctl", "-D", "/run/log/journal", "--no-pager", "-o", "json", .. matches]);
            return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
        }

        public (int Code, string Output) Run(params string[] command)
        {
            var info = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in (string[])[$"--mount=/proc/{Pid}/ns/mnt", .. command])
            {
                info.ArgumentList.Add(arg);
            }

            using var process = Process.Start(info)!;
            string text = process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            process.WaitForExit(10_000);
            return (process.ExitCode, text);
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }

            _process.Dispose();
        }
    }
}
