using Heartbeat.Protocol.Tests.Support;

namespace Heartbeat.Integration.Tests.Support;

/// <summary>
/// Two booted Debian 12 hosts as server1 and server2 (10.10.10.2 and .3 on the lab's bridge), with a client namespace
/// for <see cref="VipProbe"/>, and what an admin needs to set them up: the built .deb in each host's /mnt/lab, the
/// article's files from the package's examples, one key from <c>hbctl keygen</c> copied to both.
/// </summary>
public sealed class BootedCluster
{
    /// <summary>The article's VIP (its haresources: <c>server1 10.10.10.1</c>).</summary>
    public const string Vip = "10.10.10.1";

    /// <summary>What the cached root holds besides systemd, only downloaded: Debian's heartbeat (the migration installs it).</summary>
    public static readonly string[] Cached = ["heartbeat"];

    private BootedCluster(Lab lab, BootedHost[] hosts, string client, string deb)
    {
        (Lab, Hosts, Client, DebName) = (lab, hosts, client, deb);
    }

    public Lab Lab { get; }

    public BootedHost[] Hosts { get; }

    /// <summary>The client's network namespace (the lab's outsider).</summary>
    public string Client { get; }

    /// <summary>The package as the hosts see it: /mnt/lab/heartbeatnet_…_amd64.deb.</summary>
    public string DebName { get; }

    /// <summary>
    /// The .deb to install: $HBNET_DEB (scripts/test.sh builds it with packaging/deb/build.sh before the tests), else
    /// the newest in packaging/deb/out. No package is a failure, not a skip: these tests are the package's only run
    /// under a real systemd.
    /// </summary>
    public static string Deb()
    {
        if (Environment.GetEnvironmentVariable("HBNET_DEB") is { Length: > 0 } chosen)
        {
            Assert.True(File.Exists(chosen), $"HBNET_DEB={chosen} does not exist");
            return chosen;
        }

        string dir = Path.Join(TestPaths.RepositoryRoot, "packaging", "deb", "out");
        string? newest = System.IO.Directory.Exists(dir)
            ? new DirectoryInfo(dir).GetFiles("heartbeatnet_*_amd64.deb").OrderByDescending(f => f.LastWriteTimeUtc).FirstOrDefault()?.FullName
            : null;
        Assert.True(newest is not null, "no package to test: set HBNET_DEB or run packaging/deb/build.sh (scripts/test.sh does both)");
        return newest!;
    }

    /// <summary>Boots both hosts (together) from the cached root and puts the package in their /mnt/lab.</summary>
    public static BootedCluster Boot(Lab lab)
    {
        string deb = Deb();
        string root = BootedHost.Root([], Cached);
        var nodes = lab.Declare(false, false);
        string client = lab.AddOutsider();
        var boots = nodes.Select(n => Task.Run(() => BootedHost.Boot(lab, n, root))).ToArray();
        var hosts = boots.Select(b => b.GetAwaiter().GetResult()).ToArray();
        foreach (var host in hosts)
        {
            File.Copy(deb, Path.Join(host.Share, Path.GetFileName(deb)));
        }

        return new BootedCluster(lab, hosts, client, "/mnt/lab/" + Path.GetFileName(deb));
    }

    /// <summary>
    /// The article's three files from <paramref name="examples"/> on every host, with the given ha.cf edits (sed
    /// expressions), and one key: <c>hbctl keygen</c> on server1 (when <paramref name="keygen"/>), copied to server2.
    /// </summary>
    public void Configure(string examples, string[] haCfEdits, bool keygen)
    {
        string sed = string.Join(' ', haCfEdits.Select(e => $"-e '{e}'"));
        foreach (var host in Hosts)
        {
            host.Sh($"mkdir -p /etc/ha.d && cp {examples}/ha.cf {examples}/haresources /etc/ha.d/ && sed -i {sed} /etc/ha.d/ha.cf");
        }

        if (keygen)
        {
            Hosts[0].Sh("hbctl keygen && cp /etc/ha.d/authkeys /mnt/lab/authkeys");
            File.Copy(Path.Join(Hosts[0].Share, "authkeys"), Path.Join(Hosts[1].Share, "authkeys"));
            Hosts[1].Sh("install -m 600 /mnt/lab/authkeys /etc/ha.d/authkeys");
        }
        else
        {
            foreach (var host in Hosts)
            {
                host.Sh($"install -m 600 {examples}/authkeys /etc/ha.d/authkeys");
            }
        }
    }

    /// <summary>The end of each host's journal, for a failure message.</summary>
    public string Describe() =>
        string.Join("\n\n", Hosts.Select(h => $"== {h.Node.Name}\n{h.Run("journalctl", "-b", "--no-pager", "-n", "60", "-o", "short-precise").Output}"));
}
