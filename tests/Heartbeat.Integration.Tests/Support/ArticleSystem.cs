using System.Diagnostics;
using System.Globalization;

namespace Heartbeat.Integration.Tests.Support;

/// <summary>
/// The article's system in a lab: on each node MariaDB (master-master replication over the DB network
/// 192.168.0.0/24 on ens19) and HAProxy bound to the VIP (net.ipv4.ip_nonlocal_bind=1), with the article's settings,
/// users and HAProxy configuration. Each instance has its own data directory, socket, pid file and logs under the
/// node's lab directory; everything it started is killed and its data removed on dispose.
/// </summary>
public sealed class ArticleSystem : IAsyncDisposable
{
    public const string Vip = "10.10.10.1";
    public const string DbInterface = "ens19";
    private const string ReplicaPassword = "somestrongpassword";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private readonly Lab _lab;
    private readonly Dictionary<string, Process> _processes = new(StringComparer.Ordinal);

    public ArticleSystem(Lab lab, LabNode[] nodes)
    {
        _lab = lab;
        Nodes = nodes;
    }

    public LabNode[] Nodes { get; }

    /// <summary>server1 → 1, server2 → 2: the node's server_id and the last byte of its DB address.</summary>
    public static int Number(LabNode node) => int.Parse(node.Name["server".Length..], CultureInfo.InvariantCulture);

    public static string DbAddress(LabNode node) => $"192.168.0.{Number(node)}";

    private static string DataDirectory(LabNode node) => Path.Join(node.Directory, "mysql");

    private static string Socket(LabNode node) => Path.Join(node.Directory, "mysql", "mysqld.sock");

    /// <summary>The article's ha.cf for a node (server1 unicasts to 10.10.10.3, server2 to 10.10.10.2).</summary>
    public static string HaCf(LabNode node) => $"""
        #       keepalive: how many seconds between heartbeats
        #
        keepalive 2
        #
        #       deadtime: seconds-to-declare-host-dead
        #
        deadtime 10
        #
        #       What UDP port to use for udp or ppp-udp communication?
        #
        udpport        694
        bcast  ens18
        mcast ens18 225.0.0.1 694 1 0
        ucast ens18 {(Number(node) == 1 ? "10.10.10.3" : "10.10.10.2")}
        #       What interfaces to heartbeat over?
        udp     ens18
        #
        #       Facility to use for syslog()/logger (alternative to log/debugfile)
        #
        logfacility     local0
        #
        #       Tell what machines are in the cluster
        #       node    nodename ...    -- must match uname -n
        node    server1
        node    server2

        """;

    /// <summary>The article's haproxy.cfg, the same on both nodes (its lost line breaks put back).</summary>
    public const string HaproxyConfig = """
        global
            user haproxy
            group haproxy

        defaults
            mode http
            log global
            retries 2
            timeout connect 3000ms
            timeout server 5000ms
            timeout client 5000ms

        listen stats
            bind 10.10.10.1:9999
            stats enable
            stats hide-version
            stats uri /stats
            stats auth statadmin:statadminpass

        listen mysql-cluster
            bind 10.10.10.1:3306
            mode tcp
            option mysql-check user haproxy_check
            balance roundrobin
            server mysql-1 192.168.0.1:3306 check
            server mysql-2 192.168.0.2:3306 check

        """;

    /// <summary>
    /// The DB network, MariaDB on both nodes, the replication user and master-master replication set up as the
    /// article does it (SHOW MASTER STATUS on one, CHANGE MASTER TO on the other, both ways), then the HAProxy users.
    /// </summary>
    public void BuildDatabases()
    {
        foreach (var node in Nodes)
        {
            _lab.Second(node, DbInterface, DbAddress(node) + "/24");
            InstallDatabase(node);
            StartDatabase(node);
        }

        foreach (var node in Nodes)
        {
            var peer = Peer(node);
            Sql(node, $"GRANT REPLICATION SLAVE ON *.* TO 'replicauser'@'{DbAddress(peer)}' IDENTIFIED BY '{ReplicaPassword}';");
        }

        // server1's master status → server2 follows it; then server2's → server1 follows it.
        foreach (var node in Nodes)
        {
            var peer = Peer(node);
            string[] status = Sql(node, "SHOW MASTER STATUS;").Split('\t');
            Sql(peer, "STOP SLAVE;");
            Sql(peer, $"CHANGE MASTER TO master_host='{DbAddress(node)}', master_port=3306, master_user='replicauser', master_password='{ReplicaPassword}', master_log_file='{status[0]}', master_log_pos={status[1]};");
            Sql(peer, "START SLAVE;");
        }

        // Created on server1 only: replication brings them to server2 (the article checks mysql.user on both).
        Sql(Nodes[0], "CREATE USER 'haproxy_check'@'%'; FLUSH PRIVILEGES;");
        Sql(Nodes[0], "CREATE USER 'haproxy_root'@'%' IDENTIFIED BY 'password'; GRANT ALL PRIVILEGES ON *.* TO 'haproxy_root'@'%';");
    }

    public LabNode Peer(LabNode node) => Nodes.Single(n => n != node);

    /// <summary>mariadb-install-db into the node's private data directory (root over the socket, no password).</summary>
    private static void InstallDatabase(LabNode node)
    {
        Directory.CreateDirectory(DataDirectory(node));
        var (code, output) = Run(["mariadb-install-db", "--no-defaults", "--user=root", $"--datadir={DataDirectory(node)}/data",
            "--auth-root-authentication-method=normal", "--skip-test-db"]);
        if (code != 0)
        {
            throw new InvalidOperationException($"mariadb-install-db for {node.Name} failed ({code}): {output}");
        }
    }

    /// <summary>mariadbd in the node's namespace with the article's [mysqld] settings.</summary>
    public void StartDatabase(LabNode node)
    {
        string dir = DataDirectory(node);
        int n = Number(node);
        Start(node, "mariadbd", Path.Join(dir, "mariadbd.out"),
        [
            "mariadbd", "--no-defaults", "--user=root", $"--datadir={dir}/data", $"--socket={Socket(node)}", $"--pid-file={dir}/mysqld.pid",
            $"--log-error={dir}/error.log", "--port=3306",

            // The article's [mysqld] section.
            $"--bind-address={DbAddress(node)}", $"--server-id={n}",
            $"--log-bin={dir}/data/mysql-bin.log", $"--log-bin-index={dir}/data/mysql-bin.log.index",
            $"--relay-log={dir}/data/mysql-relay-bin", $"--relay-log-index={dir}/data/mysql-relay-bin.index",
            "--expire-logs-days=10", "--max-binlog-size=100M", "--log-slave-updates=1",
            "--auto-increment-increment=2", $"--auto-increment-offset={n}",

            // Lab only: namespaces have no DNS (client hosts are matched by address, as the article's grants are),
            // and four instances share a CI machine.
            "--skip-name-resolve", "--innodb-buffer-pool-size=32M",
        ]);
        if (!Lab.WaitUntil(() => Run(["mariadb-admin", "--no-defaults", $"--socket={Socket(node)}", "-u", "root", "ping"]).Code == 0, CommandTimeout))
        {
            throw new InvalidOperationException($"mariadbd on {node.Name} did not start: {Tail(Path.Join(dir, "error.log"))}");
        }
    }

    /// <summary>HAProxy in the node's namespace with the article's configuration, after the sysctl that lets it bind the VIP.</summary>
    public void StartHaproxy(LabNode node)
    {
        string config = Path.Join(node.Directory, "haproxy.cfg");
        File.WriteAllText(config, HaproxyConfig);
        Lab.InNetns(_lab.Netns(node), "sysctl", "-qw", "net.ipv4.ip_nonlocal_bind=1");
        Start(node, "haproxy", Path.Join(node.Directory, "haproxy.out"), ["haproxy", "-db", "-f", config]);
        if (!Lab.WaitUntil(() => Lab.InNetns(_lab.Netns(node), "ss", "-Hltn", $"src {Vip}:3306").Contains(Vip, StringComparison.Ordinal), CommandTimeout))
        {
            throw new InvalidOperationException($"haproxy on {node.Name} does not listen on {Vip}:3306: {Tail(Path.Join(node.Directory, "haproxy.out"))}");
        }
    }

    /// <summary>One statement as root over the node's socket; the output as mariadb -N -B prints it.</summary>
    public static string Sql(LabNode node, string statement)
    {
        var (code, output) = Run(["mariadb", "--no-defaults", $"--socket={Socket(node)}", "-u", "root", "-N", "-B", "-e", statement]);
        if (code != 0)
        {
            throw new InvalidOperationException($"{node.Name}: {statement} failed ({code}): {output}");
        }

        return output.Trim();
    }

    /// <summary>
    /// The article's check from a client: <c>mysql -h 10.10.10.1 -u haproxy_root -ppassword -e "show variables like
    /// 'server_id'"</c>; the server_id that answered, or null.
    /// </summary>
    public string? QueryServerId(string clientNetns, TimeSpan timeout)
    {
        var (code, output, _) = Processes.Run(["ip", "netns", "exec", clientNetns, "mariadb", "--no-defaults", "-h", Vip, "-u", "haproxy_root", "-ppassword",
            "--connect-timeout=2", "-N", "-B", "-e", "show variables like 'server_id'"], timeout);
        return code == 0 && output.Split('\t') is ["server_id", var id] ? id.Trim() : null;
    }

    /// <summary>The stats page with (or without) the article's credentials: the HTTP status code.</summary>
    public static int StatsPage(string clientNetns, bool withCredentials)
    {
        string[] credentials = withCredentials ? ["-u", "statadmin:statadminpass"] : [];
        var (_, output) = Run(["ip", "netns", "exec", clientNetns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", .. credentials, $"http://{Vip}:9999/stats"]);
        return int.TryParse(output.Trim(), CultureInfo.InvariantCulture, out int status) ? status : 0;
    }

    /// <summary>Forgets the processes of a node that was powered off (they are gone).</summary>
    public void Forget(LabNode node)
    {
        foreach (string key in _processes.Keys.Where(k => k.StartsWith(node.Name + "/", StringComparison.Ordinal)).ToList())
        {
            _processes[key].Dispose();
            _processes.Remove(key);
        }
    }

    private void Start(LabNode node, string name, string logPath, string[] command)
    {
        var info = new ProcessStartInfo("ip");
        foreach (string arg in (string[])["netns", "exec", _lab.Netns(node), .. command])
        {
            info.ArgumentList.Add(arg);
        }

        var (process, log) = Processes.StartLogged(info, logPath);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => log.Dispose();
        _processes[$"{node.Name}/{name}"] = process;
    }

    /// <summary>A command's exit code and its stdout and stderr together (code -1: killed after the timeout).</summary>
    public static (int Code, string Output) Run(string[] command, TimeSpan? timeout = null)
    {
        var (code, output, error) = Processes.Run(command, timeout ?? CommandTimeout);
        return (code, output + error);
    }

    private static string Tail(string path) => File.Exists(path) ? string.Join('\n', File.ReadAllLines(path).TakeLast(20)) : "(no log)";

    public ValueTask DisposeAsync()
    {
        foreach (var process in _processes.Values)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
                // Already reaped.
            }

            process.Dispose();
        }

        // The data directories are ~100 MB each: they go; the logs stay with the lab's other files.
        foreach (var node in Nodes)
        {
            string data = Path.Join(DataDirectory(node), "data");
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }

        return ValueTask.CompletedTask;
    }
}
