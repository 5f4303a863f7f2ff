using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// The daemon itself (not just the parsers) refuses to start on a broken config directory: exit status 6 (3.0.6's
/// "not configured"), one <c>file:line: error:</c> line that names the problem, no stack trace, and nothing created
/// (no pid file, no state directory). The parsers' full table is in Heartbeat.Protocol.Tests' BrokenConfigTests;
/// reload with a broken file keeping the running config is ReloadTests.
/// </summary>
public class BrokenFilesTests(ITestOutputHelper output)
{
    // Node names no test machine is called, so that uname -n never matches by accident.
    private const string HaCf = "keepalive 1\ndeadtime 5\ninitdead 10\nucast lo 127.0.0.1\nlogfacility local0\nnode hbt-alpha hbt-beta\nauto_failback on\n";
    private const string AuthKeys = "auth 1\n1 sha1 BrokenFilesSecret\n";
    private const string HaResources = "hbt-alpha IPaddr2::10.99.0.1/24/lo\n";

    /// <summary>name → (how the good directory is broken, where the error must point, what it must say).</summary>
    public static TheoryData<string> Cases => [.. Breakages.Keys];

    private static readonly Dictionary<string, (Action<string> Break, string Location, string Fragment)> Breakages = new(StringComparer.Ordinal)
    {
        ["ha.cf missing"] = (etc => File.Delete(Path.Join(etc, "ha.cf")), "ha.cf:0", "Cannot open config file"),
        ["unknown directive"] = (etc => Write(etc, "ha.cf", HaCf.Replace("initdead 10\n", "initdead 10\nheartbeat_interval 2\n", StringComparison.Ordinal)), "ha.cf:4", "Illegal directive [heartbeat_interval]"),
        ["missing interface"] = (etc => Write(etc, "ha.cf", HaCf.Replace("ucast lo 127.0.0.1", "bcast hbtnosuch0", StringComparison.Ordinal)), "ha.cf:4", "IP interface [hbtnosuch0] does not exist"),
        ["node is not uname -n"] = (_ => { }, "ha.cf:6", "not in configuration!"),
        ["authkeys missing"] = (etc => File.Delete(Path.Join(etc, "authkeys")), "authkeys:0", "Cannot open keyfile"),
        ["authkeys is a directory"] = (etc =>
        {
            File.Delete(Path.Join(etc, "authkeys"));
            Directory.CreateDirectory(Path.Join(etc, "authkeys"));
        }, "authkeys:0", "is a directory, not a file"),
        ["authkeys unreadable"] = (etc => File.SetUnixFileMode(Path.Join(etc, "authkeys"), UnixFileMode.None), "authkeys:0", "is denied"),
        ["authkeys world-readable"] = (etc => File.SetUnixFileMode(Path.Join(etc, "authkeys"), (UnixFileMode)0b110_100_100), "authkeys:0", "Bad permissions on keyfile"),
        ["authkeys bad method"] = (etc => Write(etc, "authkeys", "auth 1\n1 sha256 BrokenFilesSecret\n"), "authkeys:2", "Invalid authtype [sha256]"),
        ["haresources unknown node"] = (etc => Write(etc, "haresources", "hbt-gamma IPaddr2::10.99.0.1/24/lo\n"), "haresources:1", "Bad nodename"),
        ["haresources bad address"] = (etc => Write(etc, "haresources", "# the VIP\nhbt-alpha IPaddr2::10.99.0.300/24/lo\n"), "haresources:2", "is not an IPv4 address"),
        ["haresources missing"] = (etc => File.Delete(Path.Join(etc, "haresources")), "haresources:0", "Cannot open resources file"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_daemon_refuses_to_start_with_exit_status_6_and_a_file_line_message(string name)
    {
        var (breakIt, location, fragment) = Breakages[name];
        string root = Path.Join(Path.GetTempPath(), "heartbeatnet-tests", $"broken-{Environment.ProcessId}-{Guid.NewGuid():N}");
        string etc = Path.Join(root, "etc");
        try
        {
            Directory.CreateDirectory(etc);
            Write(etc, "ha.cf", HaCf);
            Write(etc, "authkeys", AuthKeys);
            File.SetUnixFileMode(Path.Join(etc, "authkeys"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Write(etc, "haresources", HaResources);
            breakIt(etc);

            string[] node = name == "node is not uname -n" ? [] : ["--node", "hbt-alpha"];
            // The tests run as root, who reads any file: without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH a mode-000 file is
            // unreadable to its owner too, as it is to a non-root admin's daemon.
            string[] unprivileged = name == "authkeys unreadable" ? ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"] : [];
            var (code, stdout, stderr) = Processes.Run(
                [.. unprivileged, Lab.OurDaemon, "--config-dir", etc, "--state-dir", Path.Join(root, "state"), "--run-dir", Path.Join(root, "run"), .. node],
                TimeSpan.FromSeconds(60));
            output.WriteLine($"exit {code}\n{stdout}{stderr}");

            Assert.Equal(6, code);
            string[] errors = [.. stderr.Split('\n').Where(line => line.Contains(": error: ", StringComparison.Ordinal))];
            // The first error is the one that matters; a consequence may follow (a key of an unknown method leaves
            // "auth 1" without its key), but never in another file.
            string error = Assert.Single(errors.Take(1));
            Assert.All(errors, e => Assert.StartsWith(Path.Join(etc, location.Split(':')[0]) + ":", e, StringComparison.Ordinal));
            Assert.StartsWith($"{Path.Join(etc, location)}: error: ", error, StringComparison.Ordinal);
            Assert.Contains(fragment, error, StringComparison.Ordinal);
            Assert.EndsWith("Configuration error, heartbeat not started.", stderr.TrimEnd(), StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", stdout + stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Join(root, "state")), "a refused start created the state directory");
            Assert.False(Directory.Exists(Path.Join(root, "run")), "a refused start created the run directory (pid file)");
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static void Write(string etc, string file, string text) => File.WriteAllText(Path.Join(etc, file), text);
}
