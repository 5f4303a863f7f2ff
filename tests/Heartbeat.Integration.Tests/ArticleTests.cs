using System.Diagnostics;
using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// The article this project grew from, end to end: MariaDB master-master replication, HAProxy on both nodes bound to
/// the VIP, Heartbeat moving the VIP with the article's own ha.cf (keepalive 2, deadtime 10), authkeys and haresources.
/// Every claim the article makes is checked, then server1 goes offline twice (links cut; power-off) and comes back,
/// while a client queries through the VIP every 100 ms. Both nodes ours; server1 real 3.0.6 beside ours; and, as the
/// reference the outages are compared with, both real 3.0.6.
/// </summary>
public class ArticleTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Which implementation server1 and server2 run. Both real is the reference the outages are compared with, run by
    /// bench/article-reference.sh (HBNET_REFERENCE=1), not in CI: 3.0.6 itself sometimes never places the VIP at a
    /// legacy start-up (its ip-request goes out empty: "msg2string: Message with zero fields"), a failure of 3.0.6
    /// that no change of ours can fix.
    /// </summary>
    public static TheoryData<string> Setups()
    {
        var setups = new TheoryData<string> { "ours+ours", "real+ours" };
        if (Environment.GetEnvironmentVariable("HBNET_REFERENCE") == "1")
        {
            setups.Add("real+real");
        }

        return setups;
    }

    [Theory]
    [MemberData(nameof(Setups))]
    public async Task The_articles_cluster_works_and_survives_server1_going_offline(string setup)
    {
        bool[] real = [.. setup.Split('+').Select(s => s == "real")];

        // The article's haresources line is "server1 10.10.10.1"; 3.0.6 on Debian 12 cannot run it with a NIC named
        // ens18 (the OCF IPaddr agent defaults nic to eth0 and refuses findif's ens18: behaviour.md), ours can. With a real node both use the IPaddr2 form, because the
        // group's name on the wire is its first resource as written, and the two nodes must agree on it.
        string resources = real.Any(r => r) ? "server1 IPaddr2::10.10.10.1/24/ens18\n" : "server1 10.10.10.1\n";
        await using var lab = new Lab($"article {setup}")
        {
            HaCfText = ArticleSystem.HaCf,
            AuthSecret = "securepass",
            Haresources = resources,
        };
        var nodes = lab.Declare(real);
        var (server1, server2) = (nodes[0], nodes[1]);
        string client = lab.AddOutsider();
        await using var system = new ArticleSystem(lab, nodes);

        // 1. Master-master replication, both ways.
        system.BuildDatabases();
        ArticleSystem.Sql(server1, "CREATE DATABASE TESTDB; CREATE TABLE TESTDB.REPLICA (`id` varchar(40));");
        Assert.True(Lab.WaitUntil(() => Tables(server2, "TESTDB").Contains("REPLICA"), Wait), "TESTDB.REPLICA did not reach server2");
        ArticleSystem.Sql(server2, "CREATE DATABASE TESTDB2; CREATE TABLE TESTDB2.REPLICA (`id` varchar(40)); INSERT INTO TESTDB.REPLICA VALUES ('from server2');");
        Assert.True(Lab.WaitUntil(() => Tables(server1, "TESTDB2").Contains("REPLICA"), Wait), "TESTDB2.REPLICA did not reach server1");
        Assert.True(Lab.WaitUntil(() => ArticleSystem.Sql(server1, "SELECT id FROM TESTDB.REPLICA;") == "from server2", Wait), "a row written on server2 did not reach server1");
        foreach (var node in nodes)
        {
            string users = ArticleSystem.Sql(node, "SELECT CONCAT(User, '@', Host) FROM mysql.user ORDER BY User;");
            Assert.Contains("haproxy_check@%", users, StringComparison.Ordinal);
            Assert.Contains("haproxy_root@%", users, StringComparison.Ordinal);
            Assert.Contains($"replicauser@{ArticleSystem.DbAddress(system.Peer(node))}", users, StringComparison.Ordinal);
        }

        // 2. HAProxy on both, bound to the VIP that neither holds yet; then Heartbeat puts the VIP on server1.
        foreach (var node in nodes)
        {
            system.StartHaproxy(node);
        }

        var clock = Stopwatch.StartNew();
        foreach (var node in nodes)
        {
            lab.Start(node);
        }

        Assert.True(Lab.WaitUntil(() => lab.HasAddress(server1, ArticleSystem.Vip), Wait), "the VIP never came to server1\n" + lab.Describe());
        output.WriteLine($"{setup}: VIP on server1 {clock.ElapsedMilliseconds} ms after both started");
        Thread.Sleep(3000);
        Assert.False(lab.HasAddress(server2, ArticleSystem.Vip), "server2 holds the VIP too\n" + lab.Describe());

        // 3. Round robin through the VIP, and the stats page behind its credentials.
        Assert.True(Lab.WaitUntil(() => RoundRobin(system, client), Wait), "queries through the VIP do not alternate between server_id 1 and 2");
        Assert.Equal(200, ArticleSystem.StatsPage(client, withCredentials: true));
        Assert.Equal(401, ArticleSystem.StatsPage(client, withCredentials: false));

        await using var probe = new QueryProbe(system, client);

        // 4. server1's links cut: the VIP moves to server2 and only server_id 2 answers; the links back: it returns.
        var outages = new List<string>();
        var mark = probe.Now;
        lab.Link(server1, up: false);
        Assert.True(Lab.WaitUntil(() => lab.HasAddress(server2, ArticleSystem.Vip) && probe.OnlyAnswers("2", 10), Wait), "after the cut: " + probe.Describe() + "\n" + lab.Describe());
        outages.Add($"links cut: {probe.LongestOutage(mark).TotalMilliseconds:F0} ms");
        mark = probe.Now;
        lab.Link(server1, up: true);
        Assert.True(Lab.WaitUntil(() => Settled(lab, server1, server2) && probe.RoundRobinAgain(), TimeSpan.FromSeconds(120)), "after the links came back: " + probe.Describe() + "\n" + lab.Describe());
        outages.Add($"links back: {probe.LongestOutage(mark).TotalMilliseconds:F0} ms");

        // 5. server1 powered off (every process killed, its addresses gone), then powered on and started again.
        mark = probe.Now;
        lab.PowerOff(server1);
        system.Forget(server1);
        Assert.True(Lab.WaitUntil(() => lab.HasAddress(server2, ArticleSystem.Vip) && probe.OnlyAnswers("2", 10), Wait), "after the power-off: " + probe.Describe() + "\n" + lab.Describe());
        outages.Add($"power-off: {probe.LongestOutage(mark).TotalMilliseconds:F0} ms");
        mark = probe.Now;
        lab.RestoreAddress(server1, "ens18", server1.Address + "/24");
        lab.RestoreAddress(server1, ArticleSystem.DbInterface, ArticleSystem.DbAddress(server1) + "/24");
        system.StartDatabase(server1);
        system.StartHaproxy(server1);
        lab.Start(server1);
        Assert.True(Lab.WaitUntil(() => Settled(lab, server1, server2) && probe.RoundRobinAgain(), TimeSpan.FromSeconds(120)), "after the power-on: " + probe.Describe() + "\n" + lab.Describe());
        outages.Add($"power-on: {probe.LongestOutage(mark).TotalMilliseconds:F0} ms");

        string report = $"article, {setup} (keepalive 2 s, deadtime 10 s), longest gap between answers through the VIP (queries every 100 ms): {string.Join("; ", outages)}";
        output.WriteLine(report);
        File.AppendAllText(Path.Join(Path.GetTempPath(), "heartbeatnet-tests", "article-outages.txt"), report + "\n");
    }

    /// <summary>The VIP on server1 only.</summary>
    private static bool Settled(Lab lab, LabNode server1, LabNode server2) =>
        lab.HasAddress(server1, ArticleSystem.Vip) && !lab.HasAddress(server2, ArticleSystem.Vip);

    private static string[] Tables(LabNode node, string database)
    {
        try
        {
            return ArticleSystem.Sql(node, $"SHOW TABLES IN {database};").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (InvalidOperationException)
        {
            return []; // not replicated yet: the database does not exist there
        }
    }

    /// <summary>Six queries through the VIP answered by both servers in turn, as the article shows.</summary>
    private static bool RoundRobin(ArticleSystem system, string client)
    {
        var ids = Enumerable.Range(0, 6).Select(_ => system.QueryServerId(client, TimeSpan.FromSeconds(10))).ToList();
        return ids.All(id => id is "1" or "2") && ids.Zip(ids.Skip(1)).All(p => p.First != p.Second);
    }
}

/// <summary>
/// A client querying <c>show variables like 'server_id'</c> through the VIP every 100 ms (a query that takes longer
/// delays the next), recording which server answered or that none did.
/// </summary>
public sealed class QueryProbe : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<(TimeSpan At, string? Id)> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public QueryProbe(ArticleSystem system, string client) => _loop = Task.Run(() => Loop(system, client));

    public TimeSpan Now => _clock.Elapsed;

    private async Task Loop(ArticleSystem system, string client)
    {
        while (!_stop.IsCancellationRequested)
        {
            var started = _clock.Elapsed;
            string? id = system.QueryServerId(client, TimeSpan.FromSeconds(12));
            lock (_samples)
            {
                _samples.Add((started, id));
            }

            var next = started + Interval - _clock.Elapsed;
            if (next > TimeSpan.Zero)
            {
                await Task.Delay(next).ConfigureAwait(false);
            }
        }
    }

    private List<(TimeSpan At, string? Id)> Since(TimeSpan mark)
    {
        lock (_samples)
        {
            return [.. _samples.Where(s => s.At >= mark)];
        }
    }

    /// <summary>The last <paramref name="count"/> queries were all answered by that server_id.</summary>
    public bool OnlyAnswers(string id, int count)
    {
        var recent = Since(TimeSpan.Zero).TakeLast(count).ToList();
        return recent.Count == count && recent.All(s => s.Id == id);
    }

    /// <summary>The last six queries were answered by 1 and 2 in turn.</summary>
    public bool RoundRobinAgain()
    {
        var recent = Since(TimeSpan.Zero).TakeLast(6).Select(s => s.Id).ToList();
        return recent.Count == 6 && recent.All(id => id is "1" or "2") && recent.Zip(recent.Skip(1)).All(p => p.First != p.Second);
    }

    /// <summary>The longest time from mark without an answer: between answered queries, from the mark to the first.</summary>
    public TimeSpan LongestOutage(TimeSpan mark)
    {
        var answered = Since(mark).Where(s => s.Id is not null).Select(s => s.At).Prepend(mark).ToList();
        return answered.Zip(answered.Skip(1)).Select(p => p.Second - p.First).DefaultIfEmpty(TimeSpan.Zero).Max();
    }

    public string Describe()
    {
        var recent = Since(TimeSpan.Zero).TakeLast(20);
        return "last answers: " + string.Join(" ", recent.Select(s => s.Id ?? "-"));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAny(_loop, Task.Delay(15_000)).ConfigureAwait(false);
        _stop.Dispose();
    }
}
