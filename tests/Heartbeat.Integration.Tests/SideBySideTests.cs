using System.Text.RegularExpressions;
using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// The same haresources line on a real 3.0.6 node and on ours, each alone in its own lab (its peer never up): tracing agents bind-mounted
/// over resource-agents' (in the node's mount namespace only) record every call — agent, action, the OCF environment
/// and the exit code — and an init-style script in resource.d records its own; start-up and a graceful stop must make
/// the same sequence on both, and the wrappers' status text logged after each call is the same.
/// </summary>
public class SideBySideTests(ITestOutputHelper output)
{
    private const string Agents = "/usr/lib/ocf/resource.d/heartbeat";

    /// <summary>The agents the wrappers of the line call (IPaddr2 is native in ours: README, Differences).</summary>
    private static readonly string[] Traced = ["Delay", "MailTo", "Filesystem"];

    [Fact]
    public async Task The_same_haresources_make_the_same_agent_calls_with_the_same_exit_codes_on_3_0_6_and_ours()
    {
        Assert.True(File.Exists(Path.Join(Agents, "Filesystem")), "resource-agents is not installed (scripts/test.sh installs it)");
        var (real, realTexts) = await TraceAsync(real: true);
        var (ours, ourTexts) = await TraceAsync(real: false);
        output.WriteLine("== 3.0.6\n" + string.Join('\n', real) + "\n== ours\n" + string.Join('\n', ours));
        output.WriteLine("== 3.0.6 status text\n" + string.Join('\n', realTexts) + "\n== ours\n" + string.Join('\n', ourTexts));

        // The wrappers' own text after each call (hto-mapfuncs' "INFO:  Success", "INFO:  Resource is stopped", …),
        // from 3.0.6's log and ours, in the same order.
        Assert.Contains("Delay: INFO:  Resource is stopped", realTexts);
        Assert.Equal(realTexts, ourTexts);

        // Both did the whole line (each resource's start and stop, the init script's too) …
        foreach (string call in (string[])["== Delay start", "== MailTo start", "== Filesystem start", "== tracedinit start",
            "== tracedinit stop", "== Filesystem stop", "== MailTo stop", "== Delay stop"])
        {
            Assert.Contains(call, real);
        }

        // … and the same calls in the same order, with the same environment and exit codes.
        int first = Enumerable.Range(0, Math.Min(real.Length, ours.Length)).FirstOrDefault(i => real[i] != ours[i], -1);
        Assert.True(first < 0 && real.Length == ours.Length,
            first < 0 ? $"lengths differ: 3.0.6 {real.Length}, ours {ours.Length}" : $"line {first}: 3.0.6 '{real[first]}', ours '{ours[first]}'");
    }

    private async Task<(string[] Calls, string[] Texts)> TraceAsync(bool real)
    {
        var lab = new Lab((real ? "3.0.6" : "ours") + " side by side");
        LoopDisk? disk = null;
        try
        {
            disk = LoopDisk.Create(lab.Directory);
            string device = disk.Device;
            string mountPoint = Path.Join(lab.Directory, "mnt");
            Directory.CreateDirectory(mountPoint);
            lab.Haresources = $"server1 Delay::1::0 MailTo::ops@example.com::sbs Filesystem::{device}::{mountPoint}::ext4 IPaddr2::10.10.10.50/24/ens18 tracedinit\n";
            // A peer that is declared but never started: after initdead each declares it dead and takes the group.
            var node = lab.Declare(real, real)[0];
            string trace = Path.Join(node.Directory, "trace");
            File.WriteAllText(trace, string.Empty);

            // Each traced agent: a shim at the agent's path that notes the call and runs a copy of the real agent.
            string copies = Path.Join(node.Directory, "agents");
            Directory.CreateDirectory(copies);
            string shim = Path.Join(node.Directory, "trace-agent");
            WriteScript(shim, $$"""
                #!/bin/sh
                t=${0##*/}
                { echo "== $t $*"; env | grep '^OCF_' | LC_ALL=C sort; } >> {{trace}}
                {{copies}}/$t "$@"
                rc=$?
                echo "-> $t $rc" >> {{trace}}
                exit $rc
                """);
            foreach (string agent in Traced)
            {
                File.Copy(Path.Join(Agents, agent), Path.Join(copies, agent));
                node.Binds.Add((shim, Path.Join(Agents, agent)));
            }

            // MailTo's mail: a recording stub, so nothing leaves the machine.
            string mail = Path.Join(node.Directory, "mail");
            WriteScript(mail, $"#!/bin/sh\ncat > /dev/null\necho \"mail $*\" >> {Path.Join(node.Directory, "mails")}\n");
            node.Binds.Add((mail, "/usr/bin/mail"));

            string state = Path.Join(node.Directory, "tracedinit.on");
            node.InstallResourceScript("tracedinit", $"""
                #!/bin/sh
                echo "== tracedinit $*" >> {trace}
                case "$1" in
                  start) touch {state}; rc=0 ;;
                  stop) rm -f {state}; rc=0 ;;
                  status) if [ -e {state} ]; then echo running; rc=0; else echo stopped; rc=3; fi ;;
                  *) rc=1 ;;
                esac
                echo "-> tracedinit $rc" >> {trace}
                exit $rc
                """);

            lab.Start(node);
            Assert.True(Lab.WaitUntil(() => Read(trace).Contains("-> tracedinit 0\n", StringComparison.Ordinal) && Read(trace).Contains("== tracedinit start", StringComparison.Ordinal),
                TimeSpan.FromSeconds(120)), lab.Describe() + "\n" + Read(trace));
            Assert.True(lab.HasAddress(node, "10.10.10.50"), lab.Describe());

            // A graceful stop gives the group up in reverse order. 3.0.6 can miss a SIGTERM that lands while its
            // ResourceManager is still finishing the takeover (send_arp in the background): asked again until it goes.
            bool stopped = false;
            for (int attempt = 0; attempt < 6 && !stopped; attempt++)
            {
                lab.Stop(node);
                stopped = Lab.WaitUntil(() => Read(trace).Contains("== Delay stop", StringComparison.Ordinal)
                    && Read(trace).TrimEnd().Split('\n')[^1].StartsWith("-> Delay", StringComparison.Ordinal), TimeSpan.FromSeconds(20));
            }

            Assert.True(stopped, lab.Describe() + "\n" + Read(trace));

            // The two labs differ only in their directory and loop device.
            string[] calls = [.. Read(trace).Replace(lab.Directory, "LAB", StringComparison.Ordinal).Replace(device, "LOOP", StringComparison.Ordinal)
                .Split('\n', StringSplitOptions.RemoveEmptyEntries)];

            // 3.0.6 logs the wrapper's line as ".../heartbeat/TYPE(INSTANCE)[PID]:    INFO:  …", ours as
            // "Resource TYPE::… ACTION stdout: INFO:  …" (two blanks: hto-mapfuncs' empty $rsc_type).
            var line = real
                ? new Regex(@"/heartbeat/(?<type>\w+)\([^)]*\)\[\d+\]:\s+(?<text>(INFO|ERROR):  .*)$", RegexOptions.Multiline)
                : new Regex(@"Resource (?<type>\w+)(::\S*)? \w+ stdout: (?<text>(INFO|ERROR):  .*)$", RegexOptions.Multiline);
            string[] Texts() => [.. line.Matches(node.Log()).Where(m => Traced.Contains(m.Groups["type"].Value))
                .Select(m => $"{m.Groups["type"].Value}: {m.Groups["text"].Value.TrimEnd()}")];

            // One line per agent call; the wrapper prints it after the agent (and the trace) ended: a moment later.
            int agentCalls = calls.Count(c => c.StartsWith("== ", StringComparison.Ordinal) && Traced.Contains(c.Split(' ')[1]));
            Lab.WaitUntil(() => Texts().Length >= agentCalls, TimeSpan.FromSeconds(15));
            return (calls, Texts());
        }
        finally
        {
            await lab.DisposeAsync();
            disk?.Dispose();
        }
    }

    private static void WriteScript(string path, string text)
    {
        File.WriteAllText(path, text + "\n");
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
    }

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }
}
