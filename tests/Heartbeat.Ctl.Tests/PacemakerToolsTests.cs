using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Heartbeat.Protocol.Export;
using Heartbeat.Protocol.Tests.Support;

namespace Heartbeat.Ctl.Tests;

/// <summary>
/// The exported CIBs checked by Pacemaker's own tools (Debian's pacemaker-cli-utils; scripts/test.sh installs it):
/// crm_verify accepts each, and crm_simulate places each group on its home node and moves it when that node fails.
/// A missing tool fails the test, never skips it.
/// </summary>
public sealed partial class PacemakerToolsTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("hbctl-pacemaker-").FullName;

    public static TheoryData<string> Cases() => [.. ExportCases.Names];

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Theory]
    [MemberData(nameof(Cases))]
    public void CrmVerifyAcceptsTheExportedCib(string name)
    {
        string cib = ExportCib(name);
        var (exit, output) = Tool("crm_verify", "--xml-file", cib);
        if (ExportCases.Export(name).Pacemaker.FenceDevices.IsEmpty)
        {
            Assert.True(exit == 0 && output.Length == 0, output);
            return;
        }

        // With fencing on, a CIB fresh from the export (no status section: no node has been seen yet, and there is
        // no quorum) makes the scheduler warn that it would fence both unseen nodes but cannot without quorum:
        // startup-fencing, as on a real cluster's first start. Nothing else may be reported.
        Assert.DoesNotContain("error", output, StringComparison.OrdinalIgnoreCase);
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.Matches(@"lack of quorum|is unclean but cannot be fenced|Warnings found during check|-V may provide more details", line);
        }

        // Once both nodes are up with quorum, as on a running cluster, it verifies without a word.
        string up = Path.Join(_temp, "up.xml");
        Simulate(cib, up, [.. NodeNames(name).SelectMany(n => new[] { "--node-up", n })]);
        Assert.Equal((0, string.Empty), Tool("crm_verify", "--xml-file", up));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CrmSimulatePlacesEachGroupAtHomeAndMovesItWhenItsHomeFails(string name)
    {
        var export = ExportCases.Export(name).Pacemaker;
        string cib = ExportCib(name);
        string up = Path.Join(_temp, "up.xml");
        Simulate(cib, up, [.. NodeNames(name).SelectMany(n => new[] { "--node-up", n })]);
        if (!export.Clones.IsEmpty)
        {
            // The simulated agents do not set node attributes; the real ones do on their first monitor: the ping
            // agent sets pingd (1000 × hosts answering), the drbd agent its promotion score (crm_master) on a node
            // with up-to-date data. Set them as those agents would, then let the cluster act on them.
            foreach (string node in NodeNames(name))
            {
                SetNodeAttribute(up, node, export.Clones.Where(c => !c.Promotable).Select(_ => ("pingd", "1000")).Concat(export.Clones.Where(c => c.Promotable).Select(c => ("master-" + c.Primitive.Id, "10000"))));
            }

            Simulate(up, up, []);
        }

        var placed = Placement(up);
        foreach (var (group, home) in Homes(export))
        {
            Assert.All(group.Members, m => Assert.Equal(home, placed.GetValueOrDefault(m.Id)));
        }

        foreach (string home in Homes(export).Select(h => h.Home).Distinct())
        {
            string failed = Path.Join(_temp, $"failed-{home}.xml");
            Simulate(up, failed, ["--node-fail", home]);
            var after = Placement(failed);
            string survivor = Assert.Single(NodeNames(name), n => n != home);
            foreach (var (group, groupHome) in Homes(export))
            {
                // Every group ends on the survivor: those of the failed node move, the others stay.
                Assert.All(group.Members, m => Assert.True(after.GetValueOrDefault(m.Id) == survivor, $"{m.Id} of {group.Id} (home {groupHome}) after {home} failed: {after.GetValueOrDefault(m.Id) ?? "stopped"}"));
            }
        }
    }

    [Fact]
    public void AGroupLeavesANodeThatReachesNoPingNode()
    {
        var export = ExportCases.Export("ping").Pacemaker;
        string up = Path.Join(_temp, "up.xml");
        Simulate(ExportCib("ping"), up, ["--node-up", "gw1", "--node-up", "gw2"]);
        SetNodeAttribute(up, "gw1", [("pingd", "1000")]);
        SetNodeAttribute(up, "gw2", [("pingd", "1000")]);
        Simulate(up, up, []);
        var group = Assert.Single(export.Groups);
        Assert.Equal("gw1", Placement(up)[group.Members[0].Id]);

        // gw1 loses its uplink: the ping agent sets pingd to 0 there.
        SetNodeAttribute(up, "gw1", [("pingd", "0")]);
        Simulate(up, up, []);
        Assert.All(group.Members, m => Assert.Equal("gw2", Placement(up)[m.Id]));
    }

    private static IEnumerable<(ResourceGroup Group, string Home)> Homes(PacemakerConfig export) =>
        export.Groups.Select(g => (g, export.Constraints.OfType<LocationPreference>().Single(l => l.Resource == g.Id && l.Score == PacemakerExporter.HomeScore).Node));

    private static List<string> NodeNames(string name) => [.. ExportCases.Export(name).Pacemaker.Nodes.Select(n => n.Name)];

    /// <summary>The CIB as <c>hbctl export cib DIR</c> writes it.</summary>
    private string ExportCib(string name)
    {
        var (exit, output) = CtlTests.Run(["export", "cib", ExportCases.InputDirectory(name)]);
        Assert.True(exit == 0, output);
        string path = Path.Join(_temp, name + ".xml");
        File.WriteAllText(path, output);
        return path;
    }

    /// <summary>One simulated transition with quorum (corosync's two_node keeps it), saved to <paramref name="output"/>.</summary>
    private static void Simulate(string input, string output, string[] changes)
    {
        var (exit, text) = Tool("crm_simulate", ["--xml-file", input, "--simulate", "--quorum", "1", "--save-output", output, .. changes]);
        Assert.True(exit == 0, text);
    }

    /// <summary>Where each resource runs in a saved state: resource id → node (promoted clone instances as CLONE → node).</summary>
    private static Dictionary<string, string> Placement(string state)
    {
        var (exit, text) = Tool("crm_simulate", "--xml-file", state);
        Assert.True(exit == 0, text);
        return StartedLine().Matches(text).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);
    }

    /// <summary>Sets transient node attributes in a saved state, as an agent's crm_attribute would on a live node.</summary>
    private static void SetNodeAttribute(string state, string node, IEnumerable<(string Name, string Value)> attributes)
    {
        var cib = XDocument.Load(state);
        var nodeState = cib.Descendants("node_state").Single(n => (string?)n.Attribute("uname") == node);
        string id = (string)nodeState.Attribute("id")!;
        var transient = nodeState.Element("transient_attributes") ?? new XElement("transient_attributes", new XAttribute("id", id));
        if (transient.Parent is null)
        {
            nodeState.AddFirst(transient);
        }

        var set = transient.Element("instance_attributes") ?? new XElement("instance_attributes", new XAttribute("id", "status-" + id));
        if (set.Parent is null)
        {
            transient.Add(set);
        }

        foreach (var (name, value) in attributes)
        {
            set.Elements("nvpair").Where(p => (string?)p.Attribute("name") == name).Remove();
            set.Add(new XElement("nvpair", new XAttribute("id", $"status-{id}-{name}"), new XAttribute("name", name), new XAttribute("value", value)));
        }

        cib.Save(state);
    }

    private static (int Exit, string Output) Tool(string name, params string[] args)
    {
        string? path = new[] { "/usr/sbin", "/usr/bin", "/sbin", "/bin" }.Concat((Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':'))
            .Select(d => Path.Join(d, name)).FirstOrDefault(File.Exists);
        Assert.True(path is not null, $"{name} is not installed: apt-get install pacemaker-cli-utils (scripts/test.sh installs it); these tests check the export with Pacemaker's own tools and do not skip");
        var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill();
            Assert.Fail($"{name} {string.Join(' ', args)} did not finish within 60 s");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>A resource line of crm_simulate's status: <c>* ID (class:type): Started NODE</c>.</summary>
    [GeneratedRegex(@"^\s*\* (\S+)\s+\([^)]*\):\s+Started (\S+)", RegexOptions.Multiline)]
    private static partial Regex StartedLine();
}
