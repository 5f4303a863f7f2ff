using System.Diagnostics;
using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// The test host itself (lab/host.sh): a cached Debian 12 root booted with systemd as PID 1 in a lab node's namespaces
/// reaches running (or degraded), is the node (its hostname, its ens18 on the lab's bridge), and leaves nothing behind:
/// no namespace, no cgroup, no process.
/// </summary>
public sealed class BootedHostTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_cached_debian_root_boots_systemd_as_the_node_and_is_gone_after_the_lab()
    {
        var clock = Stopwatch.StartNew();
        string root = BootedHost.Root([], BootedCluster.Cached);
        output.WriteLine($"cached root {root} ready after {clock.Elapsed.TotalSeconds:F1} s");
        string name;
        int pid;
        await using (var lab = new Lab("booted host"))
        {
            name = lab.Name;
            var node = lab.Declare(false)[0];
            clock.Restart();
            var host = BootedHost.Boot(lab, node, root);
            output.WriteLine($"booted in {clock.Elapsed.TotalSeconds:F1} s: {host.Run("systemctl", "is-system-running").Output.Trim()}");
            pid = host.Pid;

            Assert.Equal("1", host.Sh("cat /proc/1/stat | cut -d' ' -f1").Trim());
            Assert.Equal("systemd", host.Sh("cat /proc/1/comm").Trim());
            Assert.Equal("server1", host.Sh("hostname").Trim());
            Assert.Contains("Debian GNU/Linux 12", host.Sh("cat /etc/os-release"), StringComparison.Ordinal);
            Assert.Contains("inet 10.10.10.2/24", host.Sh("ip -4 addr show ens18"), StringComparison.Ordinal);
            Assert.Contains("active", host.Run("systemctl", "is-active", "systemd-journald").Output, StringComparison.Ordinal);

            // The machine's settings are out of reach; the node's network settings are its own.
            Assert.NotEqual(0, host.Run("sh", "-c", "echo 1 > /proc/sys/kernel/sysrq").Code);
            host.Sh("sysctl -w net.ipv4.ip_forward=0");
        }

        // Killed with its PID namespace; reaped by this machine's init (a zombie meanwhile is gone too).
        Assert.True(Lab.WaitUntil(() => Gone(pid), TimeSpan.FromSeconds(10)), "the host's systemd outlived the lab");
        var (_, netns, _) = Processes.Run(["ip", "netns", "list"], TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(name + "-", netns, StringComparison.Ordinal);
        string cgroup2 = Directory.Exists("/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
        Assert.Empty(Directory.GetDirectories(cgroup2, $"hbnet-{name}-*"));
    }

    private static bool Gone(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] == "Z";
        }
        catch (IOException)
        {
            return true;
        }
    }
}
