using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// The resource.d wrappers carried out natively with the real agents of Debian's resource-agents, in namespaces:
/// Delay, MailTo (a recording mail on PATH), SendArp and portblock (iptables in the namespace) through
/// <c>heartbeat resource</c>, and a Filesystem on a loop image
/// that lives in the holding daemon's mount namespace only and moves on failover, never mounted on both nodes.
/// </summary>
public class ResourceAgentTests(ITestOutputHelper output)
{
    private const string Agents = "/usr/lib/ocf/resource.d/heartbeat";

    [Fact]
    public async Task Delay_MailTo_and_SendArp_run_their_OCF_agents_with_the_wrappers_arguments()
    {
        Assert.True(File.Exists(Path.Join(Agents, "MailTo")), "resource-agents is not installed (scripts/test.sh installs it)");
        const string key = "Delay::1::0";
        await using var lab = new Lab("resource.d wrappers") { Haresources = $"server1 {key} MailTo::ops@example.com::failover SendArp::10.10.10.2/ens18\n" };
        var node = lab.Declare(false)[0];

        // MailTo runs "mail -s SUBJECT ADDRESS" (MAILCMD's default): a recording stub first on PATH.
        string stubs = Path.Join(lab.Directory, "stubs");
        string mails = Path.Join(lab.Directory, "mails");
        Directory.CreateDirectory(stubs);
        File.WriteAllText(Path.Join(stubs, "mail"), $"#!/bin/sh\n{{ echo \"ARGS $*\"; cat; }} >> {mails}\n");
        File.SetUnixFileMode(Path.Join(stubs, "mail"), (UnixFileMode)0b111_101_101);
        node.Environment["PATH"] = stubs + ":" + Environment.GetEnvironmentVariable("PATH");
        string client = lab.AddOutsider();

        Assert.Equal(3, lab.RunOurs(node, "resource", "status", key).Code);
        List<(double Time, string Kind, string Mac, string Ip)> frames;
        var taken = Stopwatch.StartNew();
        using (var capture = ArpCapture.Start(client))
        {
            var (code, text) = lab.RunOurs(node, "resource", "takegroup", key);
            output.WriteLine(text);
            Assert.True(code == 0, text);
            Assert.True(taken.Elapsed >= TimeSpan.FromSeconds(1), "Delay::1 returned before its start delay");

            // SendArp's agent runs send_arp in the background: its first frames follow within a second.
            Thread.Sleep(1500);
            frames = capture.Stop(expectedAtLeast: 1);
        }

        Assert.Contains(frames, f => f.Ip == "10.10.10.2");
        string mail = File.ReadAllText(mails);
        Assert.Contains("ARGS -s failover Takeover in progress", mail, StringComparison.Ordinal);
        Assert.Contains("ops@example.com", mail, StringComparison.Ordinal);

        // status: every wrapper's "INFO:  Running OK" reads as running.
        var status = lab.RunOurs(node, "resource", "status", key);
        Assert.True(status.Code == 0, status.Output);

        var given = lab.RunOurs(node, "resource", "givegroup", key);
        Assert.True(given.Code == 0, given.Output);
        Assert.Contains("Migrating resource away", File.ReadAllText(mails), StringComparison.Ordinal);
        Assert.Equal(3, lab.RunOurs(node, "resource", "status", key).Code);
    }

    [Fact]
    public async Task Portblock_blocks_the_port_around_the_group_and_unblocks_it_as_its_arguments_say()
    {
        Assert.True(File.Exists(Path.Join(Agents, "portblock")), "resource-agents is not installed (scripts/test.sh installs it)");
        // 3.0.6's documented pattern: block first, unblock last, so the port is closed while the group is in motion.
        // Delay keeps each transition open long enough to see the block (iptables in the node's namespace).
        int port = 7000 + (Environment.ProcessId % 900);
        string key = $"portblock::tcp::{port}::block";
        await using var lab = new Lab("portblock") { Haresources = $"server1 {key} Delay::3::3 portblock::tcp::{port}::unblock\n" };
        var node = lab.Declare(false)[0];
        string netns = lab.Netns(node);
        string client = lab.AddOutsider();

        // The pseudo-resource state files of the agents (ha_pseudo_resource) in the lab, not the machine's /run.
        node.Environment["HA_RSCTMP"] = Path.Join(lab.Directory, "rsctmp");
        Directory.CreateDirectory(node.Environment["HA_RSCTMP"]);

        // Debian 12's pair does not match: iptables 1.8.9 lists the protocol as a number with -n ("6"), while
        // resource-agents 4.12's portblock greps for its name ("tcp"), so "unblock" never sees the rule it should
        // remove (a 3.0.6 node on this system fails alike: same agent). The agent honours $IPTABLES: a shim lists
        // rules the way iptables did before 1.8.9 and passes everything else to the real one, in the namespace.
        string shim = Path.Join(lab.Directory, "iptables");
        File.WriteAllText(shim, "#!/bin/sh\ncase \" $* \" in\n*\" -L \"*) out=$(/usr/sbin/iptables \"$@\") || exit $?\n"
            + "  printf '%s\\n' \"$out\" | sed -E 's/^([A-Z]+ +)6 /\\1tcp /; s/^([A-Z]+ +)17 /\\1udp /' ;;\n*) exec /usr/sbin/iptables \"$@\" ;;\nesac\n");
        File.SetUnixFileMode(shim, (UnixFileMode)0b111_101_101);
        node.Environment["IPTABLES"] = shim;

        // Delay's status (its monitor) sleeps mondelay first, 30 s by default; no wrapper argument sets it.
        node.Environment["OCF_RESKEY_mondelay"] = "0";
        using var listener = NetnsSocket.CreateTcp(netns);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(node.Address), port));
        listener.Listen(16);
        Assert.False(Blocked(), "a DROP rule before the group started");
        Assert.True(Reaches(), "the port is not reachable before the group started");

        // Start: "block" inserts the DROP rule, Delay holds, "unblock" removes it: closed in between, open after.
        var taking = Task.Run(() => lab.RunOurs(node, "resource", "takegroup", key));
        Assert.True(Lab.WaitUntil(Blocked, TimeSpan.FromSeconds(10)), "portblock::…::block start did not insert the DROP rule");
        Assert.False(Reaches(), "the port answered while the group was starting behind its block");
        var (code, text) = await taking.WaitAsync(TimeSpan.FromSeconds(60));
        output.WriteLine(text);
        Assert.True(code == 0, text);
        Assert.False(Blocked(), "portblock::…::unblock start left the DROP rule");
        Assert.True(Reaches(), "the port is not reachable once the group is up");
        Assert.True(lab.RunOurs(node, "resource", "status", key).Code == 0);

        // Stop (reverse order): "unblock" stop blocks again, Delay holds, "block" stop removes the rule.
        var giving = Task.Run(() => lab.RunOurs(node, "resource", "givegroup", key));
        Assert.True(Lab.WaitUntil(Blocked, TimeSpan.FromSeconds(10)), "portblock::…::unblock stop did not block the port");
        Assert.False(Reaches(), "the port answered while the group was stopping behind its block");
        (code, text) = await giving.WaitAsync(TimeSpan.FromSeconds(60));
        output.WriteLine(text);
        Assert.True(code == 0, text);
        Assert.False(Blocked(), "portblock::…::block stop left the DROP rule");
        Assert.True(Reaches(), "the port is not reachable after the group stopped");

        bool Blocked() => Lab.InNetns(netns, "iptables", "-w", "-n", "-L", "INPUT")
            .Split('\n').Any(line => line.StartsWith("DROP", StringComparison.Ordinal) && line.Contains($"dports {port}", StringComparison.Ordinal));

        bool Reaches()
        {
            using var socket = NetnsSocket.CreateTcp(client);
            try
            {
                return socket.ConnectAsync(node.Address, port).Wait(TimeSpan.FromMilliseconds(500));
            }
            catch (AggregateException)
            {
                return false;
            }
        }
    }

    [Fact]
    public async Task A_Filesystem_is_mounted_in_the_holders_mount_namespace_only_and_moves_on_failover()
    {
        Assert.True(File.Exists(Path.Join(Agents, "Filesystem")), "resource-agents is not installed (scripts/test.sh installs it)");
        var lab = new Lab("Filesystem failover") { AutoFailback = "off" };
        string mountPoint = Path.Join(lab.Directory, "mnt", "x");
        LoopDisk? disk = null;
        try
        {
            disk = LoopDisk.Create(lab.Directory);
            string key = $"Filesystem::{disk.Device}::{mountPoint}::ext4";
            lab.Haresources = $"server1 {key}\n";
            var nodes = lab.Declare(false, false);
            lab.Start(nodes[0]);
            lab.Start(nodes[1]);
            Assert.True(Lab.WaitForLog(nodes[0], $"Group {key}: acquired", TimeSpan.FromSeconds(40)), lab.Describe());

            // In server1's mount namespace, nowhere else (not the machine's, not server2's).
            Assert.True(Mounted(nodes[0]), lab.Describe());
            Assert.False(Mounted(nodes[1]));
            Assert.DoesNotContain(mountPoint, File.ReadAllText("/proc/self/mountinfo"), StringComparison.Ordinal);

            // A crash of the holder: server2 mounts it, and at no sample was it mounted on both.
            int samples = 0;
            bool twice = false;
            using var watch = new CancellationTokenSource();
            var sampler = Task.Run(() =>
            {
                while (!watch.IsCancellationRequested)
                {
                    twice |= Mounted(nodes[0]) && Mounted(nodes[1]);
                    samples++;
                    Thread.Sleep(20);
                }
            });
            lab.Kill(nodes[0]);
            Assert.True(Lab.WaitForLog(nodes[1], $"Group {key}: acquired", TimeSpan.FromSeconds(40)), lab.Describe());
            await watch.CancelAsync();
            await sampler;
            Assert.True(Mounted(nodes[1]), lab.Describe());
            Assert.False(twice, $"mounted on both nodes at once ({samples} samples)");

            // Back to server1 by a graceful stop of server2: unmounted there first, mounted once on server1.
            lab.Start(nodes[0]);
            Thread.Sleep(4000);
            Assert.False(Mounted(nodes[0]), "auto_failback off: server1 must not mount it while server2 holds it");
            lab.Stop(nodes[1]);
            Assert.True(Lab.WaitUntil(() => Mounted(nodes[0]), TimeSpan.FromSeconds(40)), lab.Describe());
            Assert.Equal(1, MountCount(nodes[0]));
        }
        finally
        {
            await lab.DisposeAsync();
            disk?.Dispose();
        }

        bool Mounted(LabNode node) => MountCount(node) > 0;

        int MountCount(LabNode node) =>
            Lab.OursProcess(node) is { HasExited: false } p && TryRead($"/proc/{p.Id}/mountinfo") is { } info
                ? info.Split('\n').Count(line => line.Split(' ') is { Length: > 4 } fields && fields[4] == mountPoint)
                : 0;
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
