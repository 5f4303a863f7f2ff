using System.Text;
using Heartbeat.Protocol.Config;

namespace Heartbeat.Protocol.Tests.Config;

/// <summary>A table of broken config files: each must give an error naming the right file, line and problem.</summary>
public sealed class BrokenConfigTests
{
    public const string GoodHaCf = "keepalive 2\ndeadtime 10\ninitdead 20\nudpport 694\nbcast eth0\nauto_failback on\nlogfacility local0\nnode server1\nnode server2\n";
    public const string GoodAuthKeys = "auth 1\n1 sha1 secret\n";
    public const string GoodHaResources = "server1 IPaddr2::10.0.0.1/24/eth0\n";

    public static TheoryData<string, string, int, string> Cases => new()
    {
        // ha.cf (file, content, line, message fragment)
        { "ha.cf", "Keepalive 2\n" + Tail, 1, "Illegal directive [Keepalive]" },
        { "ha.cf", "keepalive=1\n" + Tail, 1, "Illegal directive [keepalive=1]" },
        { "ha.cf", "keepalive 2s\n" + Tail, 1, "keepalive: '2s' is not a time" },
        { "ha.cf", "keepalive 500 ms\n" + Tail, 1, "keepalive: 'ms' is not a time" },
        { "ha.cf", "keepalive 2\ndeadtime 3\ninitdead 20\nbcast eth0\nnode server1 server2\n", 2, "Dead time [3000] is too small compared to keepalive [2000]" },
        { "ha.cf", "deadtime 10\ninitdead 5\nbcast eth0\nnode server1 server2\n", 2, "Initial dead time [5000] is smaller than deadtime [10000]" },
        { "ha.cf", "warntime 0\n" + Tail, 1, "Warn time [0] is invalid" },
        { "ha.cf", "auto_failback maybe\n" + Tail, 1, "auto_failback: 'maybe' is not one of" },
        { "ha.cf", "keepalive 2\ndeadtime 10\nnode server1 server2\n", 0, "No heartbeat media defined" },
        { "ha.cf", "keepalive 2\ndeadtime 10\nbcast eth0\n", 0, "no nodes defined" },
        { "ha.cf", "mcast eth0 10.0.0.1 694 1 0\n" + Tail, 1, "bad addr '10.0.0.1'" },
        { "ha.cf", "mcast eth0 225.0.0.1 694 5 0\n" + Tail, 1, "bad ttl [5]" },
        { "ha.cf", "mcast eth0 225.0.0.1 694 1\n" + Tail, 1, "mcast needs 5 arguments" },
        { "ha.cf", "mcast eth0 225.0.0.1 694 1 2\n" + Tail, 1, "bad loop value [2]" },
        { "ha.cf", "udpport 70000\n" + Tail, 1, "udpport: '70000' is not a whole number from 1 to 65535" },
        { "ha.cf", "logfacility nosuch\n" + Tail, 1, "Log facility(nosuch) not valid" },
        { "ha.cf", "debug 300\n" + Tail, 1, "debug: '300' is not a whole number from 0 to 255" },
        { "ha.cf", "crm on\n" + Tail, 1, "crm on selects Pacemaker (v2) mode" },
        { "ha.cf", "crm off\npacemaker off\n" + Tail, 2, "pacemaker is given again (first on line 1)" },
        { "ha.cf", "baud 12345\n" + Tail, 1, "invalid baudrate [12345]" },
        { "ha.cf", "rtprio 500\n" + Tail, 1, "Illegal realtime priority [500]" },
        { "ha.cf", "hbgenmethod rand\n" + Tail, 1, "Illegal hb generation method [rand]" },
        { "ha.cf", "msgfmt xml\n" + Tail, 1, "msgfmt: 'xml' is not classic or netstring" },
        { "ha.cf", "compression lzma\n" + Tail, 1, "Compression module(lzma) not found" },
        { "ha.cf", "autojoin any\n" + Tail, 1, "R1 style resource management conflicts with autojoin set" },
        { "ha.cf", "node server1 \\\nserver2\nbcast eth0\n", 2, "Illegal directive [server2]" },
        { "ha.cf", "hbaping eth0\n" + Tail, 1, "Illegal directive [hbaping]" },
        { "ha.cf", "crm_daemon_dir /usr/lib/pacemaker\n" + Tail, 1, "crm_daemon_dir is refused by Heartbeat 3.0.6" },
        { "ha.cf", "apiauth ipfail\n" + Tail, 1, "Invalid apiauth directive" },
        { "ha.cf", "respawn hacluster ipfail\n" + Tail, 1, "respawn needs a user and an absolute command path" },
        { "ha.cf", "node " + new string('a', 1001) + "\n" + Tail, 1, "Heartbeat 3.0.6 reads at most 1000" },
        { "ha.cf", "ucast eth0\n" + Tail, 1, "ucast needs an interface and a peer address" },
        { "ha.cf", "env FOO\n" + Tail, 1, "env: 'FOO' is not NAME=value" },
        { "ha.cf", "memreserve 0\n" + Tail, 1, "memreserve: '0' is not a whole number" },
        { "ha.cf", "keepalive 2\ndeadtime 10\ndeadping 1\nbcast eth0\nnode server1 server2\n", 3, "Ping dead time [1000] is too small compared to keepalive [2000]" },
        { "ha.cf", "log_badpack maybe\n" + Tail, 1, "log_badpack: 'maybe' is not a boolean" },
        { "ha.cf", "keepalive\n" + Tail, 1, "keepalive needs a value" },

        // authkeys
        { "authkeys", "1 sha1 secret\nauth 1\n", 1, "key 1 comes before the 'auth' line" },
        { "authkeys", "1 sha1 secret\n", 0, "Missing auth directive in keyfile" },
        { "authkeys", "auth 2\n1 md5 x\n", 1, "Auth Key [2] not found in keyfile" },
        { "authkeys", "auth 1\n1 foo x\n", 2, "Invalid authtype [foo]" },
        { "authkeys", "auth 1\n1 crc key\n", 2, "Auth method [crc] doesn't use a key" },
        { "authkeys", "auth 1\n1 md5\n", 2, "Auth method [md5] requires a key" },
        { "authkeys", "auth 1\n1 md5 x\n16 md5 y\n", 3, "Invalid authnum [16]" },
        { "authkeys", "auth 1\n1 md5 x\nhello world\n", 3, "Auth line [hello world] is invalid" },
        { "authkeys", "auth x\n1 md5 x\n", 1, "Invalid authnum [x]" },

        // haresources
        { "haresources", "serverZ 10.0.0.1\n", 1, "Bad nodename in " },
        { "haresources", "server1 10.0.0.1 \\ \nTrace::b\n", 2, "[Trace::b]" },
        { "haresources", "server1 300.1.1.1\n", 1, "IPaddr: '300.1.1.1' is not an IPv4 address" },
        { "haresources", "server1 IPaddr2::10.0.0.1/33\n", 1, "netmask '33'" },
        { "haresources", "server1 Trace::\n", 1, "empty script name or argument" },
        { "haresources", "server1 10.0.0.1\nserver2 10.0.0.1\n", 2, "group key '10.0.0.1' is already used by the group on line 1" },
        { "haresources", "server1 /etc/init.d/mysql\n", 1, "contains '/'" },
        { "haresources", "server1 IPaddr2\n", 1, "IPaddr2 needs an address" },
        { "haresources", "server1 IPaddr2::10.0.0.1/24/eth0/1.2.3.4/5\n", 1, "too many '/' fields" },
    };

    private const string Tail = "keepalive 2\ndeadtime 10\ninitdead 20\nbcast eth0\nauto_failback on\nnode server1 server2\n";

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachBrokenFileNamesFileLineAndProblem(string file, string content, int line, string fragment)
    {
        var files = Files(
            haCf: file == "ha.cf" ? content : GoodHaCf,
            authKeys: file == "authkeys" ? content : GoodAuthKeys,
            haResources: file == "haresources" ? content : GoodHaResources);
        var check = ClusterConfigLoader.Load(files, host: null);
        Assert.True(check.HasErrors);
        Assert.Null(check.Config);
        var errors = check.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.Contains(errors, d => d.File == $"/etc/ha.d/{file}" && d.Line == line && d.Message.Contains(fragment, StringComparison.Ordinal));

        // Only the broken file has errors.
        Assert.All(errors, d => Assert.Equal($"/etc/ha.d/{file}", d.File));
    }

    [Fact]
    public void TheTableHasAtLeastThirtyCases() => Assert.True(Cases.Count >= 30);

    [Fact]
    public void AReadableKeyFileIsRefusedAs306Does()
    {
        var host = new FakeHost("server1");
        var check = ClusterConfigLoader.Load(Files(GoodHaCf, GoodAuthKeys, GoodHaResources) with { AuthKeysMode = (UnixFileMode)Convert.ToInt32("644", 8) }, host);
        var error = Assert.Single(check.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(("/etc/ha.d/authkeys", 0), (error.File, error.Line));
        Assert.Contains("Bad permissions on keyfile [/etc/ha.d/authkeys], 600 recommended", error.Message, StringComparison.Ordinal);

        // Only the group/other read bits count: 622 is accepted by 3.0.6.
        Assert.False(ClusterConfigLoader.Load(Files(GoodHaCf, GoodAuthKeys, GoodHaResources) with { AuthKeysMode = (UnixFileMode)Convert.ToInt32("622", 8) }, host).HasErrors);

        // Checked for another machine (a copy, a git checkout): the same finding, as a warning.
        var elsewhere = ClusterConfigLoader.Load(Files(GoodHaCf, GoodAuthKeys, GoodHaResources) with { AuthKeysMode = (UnixFileMode)Convert.ToInt32("644", 8) }, null);
        Assert.False(elsewhere.HasErrors);
        Assert.Contains(elsewhere.Diagnostics, d => d.Severity == DiagnosticSeverity.Warning && d.Message.StartsWith("Bad permissions on keyfile", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ha.cf", "Cannot open config file [/etc/ha.d/ha.cf]")]
    [InlineData("authkeys", "Cannot open keyfile [/etc/ha.d/authkeys]. Stop.")]
    [InlineData("haresources", "Cannot open resources file [/etc/ha.d/haresources]")]
    public void MissingFilesAreNamed(string file, string message)
    {
        var files = Files(GoodHaCf, GoodAuthKeys, GoodHaResources);
        files = file switch
        {
            "ha.cf" => files with { HaCf = null },
            "authkeys" => files with { AuthKeys = null },
            _ => files with { HaResources = null },
        };
        var check = ClusterConfigLoader.Load(files, null);
        Assert.Contains(check.Diagnostics, d => d.File == $"/etc/ha.d/{file}" && d.Message == message);
    }

    [Fact]
    public void HostChecksNameTheLocalNodeInterfacesAndPeers()
    {
        string haCf = "keepalive 2\ndeadtime 10\ninitdead 20\nbcast eth7\nbcast lo\nucast eth0 no.such.host\nauto_failback on\nnode server1 server2\n";
        var check = ClusterConfigLoader.Load(Files(haCf, GoodAuthKeys, GoodHaResources), new FakeHost("server3"));
        var errors = check.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => (d.Line, d.Message)).ToList();
        Assert.Contains((8, "Current node [server3] not in configuration!"), errors);
        Assert.Contains((4, "IP interface [eth7] does not exist"), errors);
        Assert.Contains(errors, e => e.Line == 5 && e.Message.Contains("has no IPv4 broadcast address", StringComparison.Ordinal));
        Assert.Contains((6, "ucast peer 'no.such.host' does not resolve to an IPv4 address"), errors);

        // --node overrides uname -n.
        var asServer1 = ClusterConfigLoader.Load(Files(GoodHaCf, GoodAuthKeys, GoodHaResources), new FakeHost("server3"), nodeName: "SERVER1");
        Assert.False(asServer1.HasErrors);
    }

    internal static ConfigFiles Files(string haCf, string authKeys, string haResources) => new(
        "/etc/ha.d",
        Encoding.Latin1.GetBytes(haCf),
        Encoding.Latin1.GetBytes(authKeys),
        UnixFileMode.UserRead | UnixFileMode.UserWrite,
        Encoding.Latin1.GetBytes(haResources));

    private sealed class FakeHost(string nodeName) : IHostFacts
    {
        public string NodeName { get; } = nodeName;

        public InterfaceFacts? FindInterface(string name) => name switch
        {
            "eth0" => new InterfaceFacts("eth0", true, true),
            "lo" => new InterfaceFacts("lo", true, false),
            _ => null,
        };

        public bool CanResolve(string host) => host != "no.such.host";
    }
}
