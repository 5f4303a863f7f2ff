using System.Diagnostics;
using System.Globalization;
using System.Text;
using Heartbeat.Protocol.Tests.Support;

namespace Heartbeat.Integration.Tests.Support;

/// <summary>Which media the nodes' ha.cf lists.</summary>
public enum MediaKind
{
    Bcast,
    Mcast,
    Ucast,
    All,
}

/// <summary>One node of a lab: its name, address, directory, and whether it is ours or a real 3.0.6.</summary>
public sealed class LabNode(string name, string address, string directory, bool real)
{
    public string Name { get; } = name;

    public string Address { get; } = address;

    public string Directory { get; } = directory;

    public bool Real { get; } = real;

    /// <summary>A process whose mount namespace our daemon joins (e.g. a private journald's), or null.</summary>
    public int? MountNamespaceOf { get; set; }

    /// <summary>A directory our daemon sees as /var/log (a real node converted to ours keeps writing its own ha-log).</summary>
    public string? VarLog { get; set; }

    /// <summary>Extra environment for our daemon on this node (e.g. systemd's NOTIFY_SOCKET, a PATH with stubs), also for <see cref="Lab.RunOurs"/>.</summary>
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Files bind-mounted over others in the node's own mount namespace only (a tracing agent over a system one, a
    /// recording mail): ours gets a private mount namespace for them, a real node's lab.sh mounts them in its own.
    /// </summary>
    public List<(string Source, string Target)> Binds { get; } = [];

    internal Process? Process { get; set; }

    /// <summary>The log a test reads: 3.0.6's ha-log, or our daemon's output.</summary>
    public string LogPath => Real ? Path.Join(Directory, "log", "ha-log") : Path.Join(Directory, "daemon.log");

    public string Log() => File.Exists(LogPath) ? ReadShared(LogPath) : string.Empty;

    /// <summary>
    /// Installs an executable resource script under <paramref name="name"/>: ours reads &lt;config dir&gt;/resource.d, a
    /// real node's /etc/ha.d is the lab's copy (ha.d), merged over the host's.
    /// </summary>
    public void InstallResourceScript(string name, string text)
    {
        string dir = Path.Join(Directory, Real ? "ha.d" : "etc", "resource.d");
        System.IO.Directory.CreateDirectory(dir);
        string script = Path.Join(dir, name);
        File.WriteAllText(script, text.Replace("\r", string.Empty, StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
    }

    internal static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}

/// <summary>
/// A lab of network namespaces made by lab/lab.sh, unique per test, removed with every process in it on dispose
/// (also when the test failed). Nodes are on 10.10.10.0/24 behind one bridge; nothing leaves the lab.
/// </summary>
public sealed partial class Lab : IAsyncDisposable
{
    private static int _counter;
    private readonly List<LabNode> _nodes = [];
    private readonly List<StreamWriter> _logs = [];

    static Lab()
    {
        // The lab blocks threads by design (waits on processes, polls with sleeps) while process output is read on
        // pool threads. With the default minimum (one per core: 2 here), a test run alone starved the pool and each
        // command's output waited for the pool to grow (~1 s, once per stall): timings measured by a test grew by that.
        ThreadPool.GetMinThreads(out int workers, out int completions);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(completions, 32));
    }

    public Lab(string purpose)
    {
        // Unique: the test host's pid and a counter keep parallel tests and parallel runs apart (lab.sh sweep reads the pid).
        Name = string.Create(CultureInfo.InvariantCulture, $"hbt{Environment.ProcessId}x{Interlocked.Increment(ref _counter)}");
        Directory = Path.Join(Path.GetTempPath(), "heartbeatnet-tests", Name);
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllText(Path.Join(Directory, "purpose"), purpose);
        Script("up", Name);
    }

    public string Name { get; }

    public string Directory { get; }

    public TimeSpan Keepalive { get; set; } = TimeSpan.FromMilliseconds(200);

    public int DeadtimeSeconds { get; set; } = 1;

    /// <summary>ha.cf's deadtime in milliseconds when given (sub-second timers); otherwise <see cref="DeadtimeSeconds"/>.</summary>
    public TimeSpan? Deadtime { get; set; }

    /// <summary>ha.cf's warntime (half the deadtime, at least 1 s, unless given).</summary>
    public TimeSpan? Warntime { get; set; }

    /// <summary>Long enough that a node starting a few seconds late on a loaded 2-core machine is not declared dead at start.</summary>
    public int InitdeadSeconds { get; set; } = 8;

    public MediaKind Media { get; set; } = MediaKind.Bcast;

    public string AuthMethod { get; set; } = "md5";

    /// <summary>auto_failback: on, off, or legacy (written as no line at all, 3.0.6's default, as in the article).</summary>
    public string AutoFailback { get; set; } = "on";

    /// <summary>The haresources every node gets (empty by default: membership tests need no resources).</summary>
    public string Haresources { get; set; } = string.Empty;

    /// <summary>Lines added to every generated ha.cf as written (ping nodes, ipfail, stonith_host, watchdog, …).</summary>
    public string ExtraHaCf { get; set; } = string.Empty;

    /// <summary>The shared secret of authkeys (method <see cref="AuthMethod"/>, index 1).</summary>
    public string AuthSecret { get; set; } = "SharedLabSecret";

    /// <summary>
    /// A node's whole ha.cf, written as given instead of the one made from the settings above (the article's files).
    /// Set it before <see cref="Declare"/>.
    /// </summary>
    public Func<LabNode, string>? HaCfText { get; set; }

    public IReadOnlyList<LabNode> Nodes => _nodes;

    /// <summary>HBNET_REALTIME=1: every heartbeat node, ours and 3.0.6, runs without -l (realtime, their default).</summary>
    public static bool Realtime => Environment.GetEnvironmentVariable("HBNET_REALTIME") == "1";

    /// <summary>Our daemon: $HBNET_DAEMON (the benchmark's NativeAOT build), else the one built beside the tests.</summary>
    public static string OurDaemon
    {
        get
        {
            if (Environment.GetEnvironmentVariable("HBNET_DAEMON") is { Length: > 0 } chosen)
            {
                return chosen;
            }

            string beside = Path.Join(AppContext.BaseDirectory, "heartbeat");
            return File.Exists(beside) ? beside : Path.Join(TestPaths.RepositoryRoot, "src", "Heartbeat.Daemon", "bin", "Release", "net10.0", "heartbeat");
        }
    }

    public string Netns(LabNode node) => $"{Name}-{node.Name}";

    /// <summary>Declares the nodes (names server1…) with their addresses; configuration files follow from the lab settings.</summary>
    public LabNode[] Declare(params bool[] real)
    {
        for (int i = 0; i < real.Length; i++)
        {
            string name = $"server{i + 1}";
            string address = $"10.10.10.{i + 2}";
            var node = new LabNode(name, address, Path.Join(Directory, name), real[i]);
            System.IO.Directory.CreateDirectory(node.Directory);
            _nodes.Add(node);
            Script("node", Name, name, address + "/24");
        }

        foreach (var node in _nodes)
        {
            WriteConfig(node);
        }

        return [.. _nodes];
    }

    public void Start(LabNode node)
    {
        if (node.Real)
        {
            File.WriteAllLines(Path.Join(node.Directory, "binds"), node.Binds.Select(b => $"{b.Source} {b.Target}"));
            Script("real", Name, node.Name, node.Directory);
            return;
        }

        StartOurs(node, Path.Join(node.Directory, "etc"), Path.Join(node.Directory, "state"));
    }

    /// <summary>Our daemon in the node's namespace with the given config and state directories (a real node's, to convert it).</summary>
    public void StartOurs(LabNode node, string etc, string state, params string[] leading)
    {
        string[] enter = node.MountNamespaceOf is { } pid ? ["nsenter", $"--mount=/proc/{pid}/ns/mnt", "ip", "netns", "exec", Netns(node)] : ["ip", "netns", "exec", Netns(node)];

        // A private /var/log (a mount namespace of its own, every step an exec: the daemon stays this process).
        string[] varLog = node.VarLog is { } logs ? ["unshare", "--mount", "--propagation", "private", "sh", "-c", "mount --bind \"$0\" /var/log && exec \"$@\"", logs] : [];
        string bindList = Path.Join(node.Directory, "binds");
        File.WriteAllLines(bindList, node.Binds.Select(b => $"{b.Source} {b.Target}"));
        string[] binds = node.Binds.Count > 0
            ? ["unshare", "--mount", "--propagation", "private", "sh", "-c", "while read -r s t; do mount --bind \"$s\" \"$t\" || exit 1; done < \"$0\" && exec \"$@\"", bindList]
            : [];
        // Every daemon starts with SIGHUP ignored, as under nohup or an init script that ignores it: an ignored signal
        // survives exec, and the daemon must take SIGHUP back for reload as 3.0.6 does (ReloadTests sends one).
        // The wrapper also notes the moment of the exec (bash's $EPOCHREALTIME) for the benchmark's start-up times.
        string[] hangupIgnored = ["bash", "-c", "trap '' HUP && echo \"$EPOCHREALTIME\" > \"$0\" && exec \"$@\"", ExecStampPath(node)];
        var info = new ProcessStartInfo(enter[0]);
        // -l: normal scheduling, as the lab starts every 3.0.6 node (running-real-heartbeat.md), so both run alike in
        // tests and benchmarks; realtime threads are covered by RealtimeThreadsTests. HBNET_REALTIME=1 (benchmarks
        // only) starts both without -l, each with its default realtime scheduling.
        string[] scheduling = Realtime ? [] : ["-l"];
        foreach (string arg in (string[])[.. enter[1..], .. varLog, .. binds, .. hangupIgnored, OurDaemon, .. leading, .. scheduling, "--config-dir", etc, "--state-dir", state,
            "--run-dir", Path.Join(node.Directory, "run"), "--node", node.Name])
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in node.Environment)
        {
            info.Environment[name] = value;
        }

        var (process, log) = Processes.StartLogged(info, OursLogPath(node));

        // The writer stays open until the lab is disposed: output read after the exit must not be lost.
        _logs.Add(log);
        node.Process = process;
    }

    /// <summary>
    /// Where the node's last start noted the moment it exec'd the daemon's binary (ours, 3.0.6 and the benchmark's
    /// keepalived alike): start-up times measured from there leave out the launcher (ip netns exec, unshare, mounts).
    /// </summary>
    public static string ExecStampPath(LabNode node) => Path.Join(node.Directory, "exec-stamp");

    /// <summary>The moment of the node's last exec of its daemon, if one was noted.</summary>
    public static DateTimeOffset? ExecStamp(LabNode node)
    {
        string text;
        try
        {
            text = File.ReadAllText(ExecStampPath(node)).Trim().Replace(',', '.');
        }
        catch (IOException)
        {
            return null;
        }

        return decimal.TryParse(text, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out decimal seconds)
            ? DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond))
            : null;
    }

    /// <summary>Where our daemon's output goes: daemon.log in the node's directory (also for a converted real node).</summary>
    public static string OursLogPath(LabNode node) => Path.Join(node.Directory, "daemon.log");

    /// <summary>Our daemon's process in the node, if we started one.</summary>
    public static Process? OursProcess(LabNode node) => node.Process;

    /// <summary>Runs <c>heartbeat ARGS --config-dir … --node …</c> once inside the node's namespace; exit code and output.</summary>
    public (int Code, string Output) RunOurs(LabNode node, params string[] args)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])["netns", "exec", Netns(node), OurDaemon, .. args, "--config-dir", Path.Join(node.Directory, "etc"),
            "--state-dir", Path.Join(node.Directory, "state"), "--run-dir", Path.Join(node.Directory, "run"), "--node", node.Name])
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in node.Environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("heartbeat " + string.Join(' ', args) + " did not finish");
        }

        return (process.ExitCode, output + stderr.Result);
    }

    /// <summary>hbctl as built beside the daemon.</summary>
    public static string Hbctl => Path.Join(TestPaths.RepositoryRoot, "src", "Heartbeat.Ctl", "bin", "Release", "net10.0", "hbctl");

    /// <summary>Runs <c>hbctl ARGS --run-dir …</c> against our daemon on the node (a Unix socket: no namespace needed).</summary>
    public static (int Code, string Output) RunHbctl(LabNode node, params string[] args)
    {
        var info = new ProcessStartInfo(Hbctl) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])[.. args, "--run-dir", Path.Join(node.Directory, "run")])
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(30_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("hbctl " + string.Join(' ', args) + " did not finish");
        }

        return (process.ExitCode, output + stderr.Result);
    }

    /// <summary>The host pid of a real 3.0.6 node's master process (its namespaces: /proc/PID/…), or null when none runs.</summary>
    public int? RealPid(LabNode node) =>
        int.TryParse(Script("real-pid", Name, node.Name).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;

    /// <summary>Runs a command inside a real 3.0.6 node's namespaces (network, mount, UTS, PID), e.g. its hb_standby script.</summary>
    public string RunInReal(LabNode node, params string[] command)
    {
        string pid = Script("real-pid", Name, node.Name).Trim();
        if (pid.Length == 0)
        {
            throw new InvalidOperationException($"{node.Name}: no running 3.0.6 master");
        }

        return Capture(["nsenter", "-t", pid, "-a", .. command]);
    }

    /// <summary>Runs a command inside a namespace of this lab and returns its output.</summary>
    public static string InNetns(string netns, params string[] command) => Capture(["ip", "netns", "exec", netns, .. command]);

    /// <summary>Whether the node's <paramref name="device"/> carries the IPv4 address (false too when the namespace is going away).</summary>
    public bool HasAddress(LabNode node, string address, string device = "ens18")
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(InNetns(Netns(node), "ip", "-j", "-4", "addr", "show", "dev", device));
            return json.RootElement[0].GetProperty("addr_info").EnumerateArray().Any(a => a.GetProperty("local").GetString() == address);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or IndexOutOfRangeException or KeyNotFoundException)
        {
            return false;
        }
    }

    /// <summary>A crash: SIGKILL to every process of the node (ours: the daemon; real: master and children).</summary>
    public void Kill(LabNode node)
    {
        if (node.Real)
        {
            // One kill(1) for all of 3.0.6's processes: one exec per process lets its writer child send heartbeats for
            // another second or two on a loaded machine, which a detection-time measurement would count.
            string[] pids = Capture("ip", "netns", "pids", Netns(node)).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(pid => TryRead($"/proc/{pid}/comm").Trim() is var comm && (comm == "heartbeat" || comm.StartsWith("ha_", StringComparison.Ordinal)))
                .ToArray();
            if (pids.Length > 0)
            {
                _ = Capture(["kill", "-9", .. pids]);
            }

            return;
        }

        if (node.Process is { HasExited: false } p)
        {
            p.Kill();
            p.WaitForExit(10_000);
        }
    }

    /// <summary>A graceful stop: SIGTERM to the daemon (ours) or the 3.0.6 master, then wait for the exit.</summary>
    public void Stop(LabNode node)
    {
        if (node.Real)
        {
            string pid = Script("real-pid", Name, node.Name).Trim();
            if (pid.Length > 0)
            {
                _ = Capture("kill", "-TERM", pid);
            }

            return;
        }

        if (node.Process is { HasExited: false } p)
        {
            _ = Capture("kill", "-TERM", p.Id.ToString(CultureInfo.InvariantCulture));
            p.WaitForExit(15_000);
        }
    }

    /// <summary>A namespace on the bridge that is no node of ha.cf (10.10.10.99): a spy and forger for tests.</summary>
    public string AddOutsider()
    {
        Script("node", Name, "spy", "10.10.10.99/24");
        return $"{Name}-spy";
    }

    /// <summary>Sends a signal (STOP, CONT, TERM, …) to a process.</summary>
    public static void Signal(int pid, string signal) => Capture("kill", "-" + signal, pid.ToString(CultureInfo.InvariantCulture));

    /// <summary>Sets the node's links (its bridge ports, on both networks) up or down: cut cables.</summary>
    public void Link(LabNode node, bool up) => Script("link", Name, node.Name, up ? "up" : "down");

    /// <summary>A second network for the node (bridge br1): <paramref name="iface"/> with <paramref name="address"/> (ip/prefix).</summary>
    public void Second(LabNode node, string iface, string address) => Script("second", Name, node.Name, iface, address);

    /// <summary>A power-off: every process in the node's namespace killed (daemons, databases, all), every address gone.</summary>
    public void PowerOff(LabNode node)
    {
        Script("poweroff", Name, node.Name);
        if (node.Process is { } p)
        {
            p.WaitForExit(10_000);
        }
    }

    /// <summary>Gives an interface its address back (a node powered on again).</summary>
    public void RestoreAddress(LabNode node, string iface, string address) => Script("addr", Name, node.Name, iface, address);

    /// <summary>Drops every Heartbeat datagram to and from the node (links stay up): a partition; false heals it.</summary>
    public void Isolate(LabNode node, bool on) => Script("isolate", Name, node.Name, on ? "on" : "off");

    /// <summary>Drops this share of the node's outgoing Heartbeat datagrams (0 clears).</summary>
    public void Loss(LabNode node, int percent) => Script("loss", Name, node.Name, percent.ToString(CultureInfo.InvariantCulture));

    /// <summary>Polls until the condition holds; false on timeout (every wait has one).</summary>
    public static bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < timeout)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(25);
        }

        return condition();
    }

    /// <summary>Waits for a log line containing <paramref name="text"/> beyond the first <paramref name="skip"/> characters.</summary>
    public static bool WaitForLog(LabNode node, string text, TimeSpan timeout, int skip = 0) =>
        WaitUntil(() => node.Log() is var log && log.Length > skip && log.IndexOf(text, skip, StringComparison.Ordinal) >= 0, timeout);

    public string Describe() => string.Join("\n\n", _nodes.Select(n => $"== {n.Name} ({(n.Real ? "real 3.0.6" : "ours")}) {n.LogPath}\n{Tail(n.Log(), 6000)}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            if (node.Process is { HasExited: false } p)
            {
                p.Kill();
                await p.WaitForExitAsync().ConfigureAwait(false);
            }

            node.Process?.Dispose();
        }

        Script("down", Name);
        foreach (var log in _logs)
        {
            lock (log)
            {
                log.Dispose();
            }
        }
    }

    private void WriteConfig(LabNode node)
    {
        var ha = new StringBuilder();
        if (HaCfText is { } text)
        {
            ha.Append(text(node));

            // A real node would log through syslog only, which a namespace does not have: its log file is how the test
            // watches it (no effect on what it does).
            if (node.Real)
            {
                ha.Append("logfile /var/log/ha-log\n");
            }

            WriteFiles(node, ha.ToString());
            return;
        }

        ha.Append(CultureInfo.InvariantCulture, $"keepalive {(long)Keepalive.TotalMilliseconds}ms\n");
        string warntime = Warntime is { } w ? $"{(long)w.TotalMilliseconds}ms" : Math.Max(1, DeadtimeSeconds / 2).ToString(CultureInfo.InvariantCulture);
        string deadtime = Deadtime is { } d ? $"{(long)d.TotalMilliseconds}ms" : DeadtimeSeconds.ToString(CultureInfo.InvariantCulture);
        ha.Append(CultureInfo.InvariantCulture, $"deadtime {deadtime}\nwarntime {warntime}\ninitdead {InitdeadSeconds}\nudpport 694\n");
        if (Media is MediaKind.Bcast or MediaKind.All)
        {
            ha.Append("bcast ens18\n");
        }

        if (Media is MediaKind.Mcast or MediaKind.All)
        {
            ha.Append("mcast ens18 225.0.0.1 694 1 0\n");
        }

        if (Media is MediaKind.Ucast or MediaKind.All)
        {
            foreach (var peer in _nodes.Where(p => p != node))
            {
                ha.Append(CultureInfo.InvariantCulture, $"ucast ens18 {peer.Address}\n");
            }
        }

        if (AutoFailback != "legacy")
        {
            ha.Append(CultureInfo.InvariantCulture, $"auto_failback {AutoFailback}\n");
        }

        ha.Append(ExtraHaCf);

        // A real node's /var/log is its own (bind-mounted by lab.sh); ours runs in the host's mount namespace, so its
        // files go to the node's directory instead of the machine's /var/log.
        string logs = node.Real ? "/var/log" : Path.Join(node.Directory, "log");
        System.IO.Directory.CreateDirectory(Path.Join(node.Directory, "log"));
        ha.Append(CultureInfo.InvariantCulture, $"logfile {logs}/ha-log\ndebugfile {logs}/ha-debug\ncrm off\n");
        foreach (var n in _nodes)
        {
            ha.Append(CultureInfo.InvariantCulture, $"node {n.Name}\n");
        }

        WriteFiles(node, ha.ToString());
    }

    private void WriteFiles(LabNode node, string haCf)
    {
        string authkeys = AuthMethod == "crc" ? "auth 1\n1 crc\n" : $"auth 1\n1 {AuthMethod} {AuthSecret}\n";
        string dir = node.Real ? node.Directory : Path.Join(node.Directory, "etc");
        System.IO.Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Join(dir, "ha.cf"), haCf);
        File.WriteAllText(Path.Join(dir, "haresources"), Haresources);
        string keys = Path.Join(dir, "authkeys");
        File.WriteAllText(keys, authkeys);
        File.SetUnixFileMode(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private static string Script(params string[] args) =>
        Capture(["bash", Path.Join(AppContext.BaseDirectory, "lab", "lab.sh"), .. args]);

    private static string Capture(params string[] command)
    {
        var (code, output, error) = Processes.Run(command, TimeSpan.FromSeconds(60));
        if (code == -1)
        {
            throw new TimeoutException(error);
        }

        if (code != 0 && command[0] != "kill")
        {
            throw new InvalidOperationException($"{string.Join(' ', command)} failed ({code}): {error}");
        }

        return output;
    }

    private static string TryRead(string path)
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

    private static string Tail(string text, int length) => text.Length <= length ? text : text[^length..];
}
