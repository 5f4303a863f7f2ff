using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// The resource.d wrappers carried out natively with the real agents of Debian's resource-agents, in namespaces:
/// Delay, MailTo (a recording mail on PATH), SendArp through <c>heartbeat resource</c>, and a Filesystem on a loop image
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
    public async Task A_Filesystem_is_mounted_in_the_holders_mount_namespace_only_and_moves_on_failover()
    {
        Assert.True(File.Exists(Path.Join(Agents, "Filesystem")), "resource-agents is not installed (scripts/test.sh installs it)");
        var lab = new Lab("Filesystem failover") { AutoFailback = "off" };
        string image = Path.Join(lab.Directory, "disk.img");
        string mountPoint = Path.Join(lab.Directory, "mnt", "x");
        string? device = null;
        try
        {
            Run("truncate", "-s", "32M", image);
            Run("mkfs.ext4", "-q", "-F", image);
            device = Run("losetup", "-f", "--show", image).Trim();
            string key = $"Filesystem::{device}::{mountPoint}::ext4";
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
            if (device is not null)
            {
                Run("losetup", "-d", device);
            }
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

    private static string Run(params string[] command)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in command[1..])
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        string text = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{string.Join(' ', command)}: {error}");
        return text;
    }
}
