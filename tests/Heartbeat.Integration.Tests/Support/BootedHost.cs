using System.Globalization;

namespace Heartbeat.Integration.Tests.Support;

/// <summary>
/// A booted Debian 12 in a lab node's namespaces (lab/host.sh): systemd as PID 1, driven with nsenter as an admin
/// drives a machine (systemctl, journalctl, apt-get). Its network is the lab node's (ens18 on the lab's bridge), so
/// <see cref="VipProbe"/> and <see cref="Lab"/>'s link commands work on it as on any node. It goes with the lab: the
/// lab's teardown kills its PID namespace and removes its cgroup, also when the test failed.
/// </summary>
public sealed class BootedHost
{
    private static readonly string[] Path = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"];

    private BootedHost(Lab lab, LabNode node, string directory, int pid)
    {
        (Lab, Node, Directory, Pid) = (lab, node, directory, pid);
    }

    public Lab Lab { get; }

    public LabNode Node { get; }

    /// <summary>The host's directory on this machine: share/ (its /mnt/lab) and console.log (its changes are in a tmpfs of its own).</summary>
    public string Directory { get; }

    /// <summary>The (machine) pid of the host's systemd.</summary>
    public int Pid { get; }

    /// <summary>A directory this machine and the host share: the host sees it as /mnt/lab.</summary>
    public string Share => System.IO.Path.Join(Directory, "share");

    /// <summary>
    /// The cached Debian 12 root with these packages installed (and <paramref name="cached"/> only downloaded into its
    /// apt cache, for a test to install offline). Built once by debootstrap from apt's configured mirror: minutes when
    /// cold, nothing when cached. Fails the test with debootstrap's own words when the mirror cannot be reached.
    /// </summary>
    public static string Root(IEnumerable<string> packages, IEnumerable<string>? cached = null)
    {
        string[] args = ["bash", LabScript, "rootfs", "-", .. packages];
        if (cached is not null)
        {
            args = [.. args, "--", .. cached];
        }

        var (code, output, error) = Processes.Run(args, TimeSpan.FromMinutes(15));
        Assert.True(code == 0, $"the cached Debian root could not be built: {error}");
        return output.Trim();
    }

    /// <summary>Boots <paramref name="root"/> as <paramref name="node"/> and waits until systemd is up (running or degraded).</summary>
    public static BootedHost Boot(Lab lab, LabNode node, string root)
    {
        string directory = System.IO.Path.Join(node.Directory, "host");
        System.IO.Directory.CreateDirectory(directory);
        Script("host", lab.Name, node.Name, root, directory);
        int pid = 0;
        Assert.True(
            Lab.WaitUntil(() => int.TryParse(Script("host-pid", lab.Name, node.Name).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out pid), TimeSpan.FromSeconds(30)),
            $"{node.Name}: systemd did not start; its console:\n{Tail(System.IO.Path.Join(directory, "console.log"))}");
        var host = new BootedHost(lab, node, directory, pid);
        string state = string.Empty;
        bool up = Lab.WaitUntil(
            () => (state = host.Run("systemctl", "is-system-running").Output.Trim()) is "running" or "degraded",
            TimeSpan.FromSeconds(90));
        Assert.True(up, $"{node.Name}: systemd did not finish booting (is-system-running: {state}); failed units:\n{host.Run("systemctl", "--failed", "--no-legend").Output}\nconsole:\n{Tail(System.IO.Path.Join(directory, "console.log"))}");
        return host;
    }

    /// <summary>Runs a command in the host (all its namespaces, a clean environment); stdout and stderr together.</summary>
    public (int Code, string Output) Run(params string[] command) => RunWithin(TimeSpan.FromSeconds(120), command);

    public (int Code, string Output) RunWithin(TimeSpan timeout, params string[] command)
    {
        var (code, output, error) = Processes.Run(
            ["nsenter", "-t", Pid.ToString(CultureInfo.InvariantCulture), "-a", "env", "-i", .. Path, "LANG=C.UTF-8", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0", "DEBIAN_FRONTEND=noninteractive", .. command],
            timeout);
        return (code, output + error);
    }

    /// <summary>A shell command in the host that must succeed; its output.</summary>
    public string Sh(string script, TimeSpan? timeout = null)
    {
        var (code, output) = RunWithin(timeout ?? TimeSpan.FromSeconds(120), "sh", "-c", script);
        Assert.True(code == 0, $"{Node.Name}: `{script}` failed ({code}):\n{output}");
        return output;
    }

    private static string LabScript => System.IO.Path.Join(AppContext.BaseDirectory, "lab", "lab.sh");

    private static string Script(params string[] args)
    {
        var (code, output, error) = Processes.Run(["bash", LabScript, .. args], TimeSpan.FromSeconds(60));
        if (code != 0)
        {
            throw new InvalidOperationException($"lab.sh {string.Join(' ', args)} failed ({code}): {error}");
        }

        return output;
    }

    private static string Tail(string path)
    {
        string text = File.Exists(path) ? LabNode.ReadShared(path) : string.Empty;
        return text.Length <= 4000 ? text : text[^4000..];
    }
}
