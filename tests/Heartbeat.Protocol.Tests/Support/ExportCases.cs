using System.Collections.Immutable;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Export;

namespace Heartbeat.Protocol.Tests.Support;

/// <summary>
/// The export's test configurations (tests/vectors/export): the article's etc/ha.d and real-world haresources
/// setups, each with its expected outputs in CASE/expected. Shared by the golden tests and by hbctl's tests that
/// run the real Pacemaker tools on the exported CIBs.
/// </summary>
public static class ExportCases
{
    /// <summary>The cases: the article's config and one directory per real-world setup.</summary>
    public static IReadOnlyList<string> Names { get; } = ["article", "drbd", "two-groups", "ping", "stonith"];

    public static string Root => Path.Join(TestPaths.Vectors, "export");

    public static string InputDirectory(string name) => name == "article" ? Path.Join(TestPaths.RepositoryRoot, "etc", "ha.d") : Path.Join(Root, name);

    public static string ExpectedDirectory(string name) => Path.Join(Root, name, "expected");

    /// <summary>The case's files as the pure converter takes them, as if they were /etc/ha.d (so the outputs do not name this checkout).</summary>
    public static ConfigFiles Files(string name)
    {
        string dir = InputDirectory(name);
        return new ConfigFiles("/etc/ha.d", File.ReadAllBytes(Path.Join(dir, "ha.cf")), File.ReadAllBytes(Path.Join(dir, "authkeys")), UnixFileMode.UserRead | UnixFileMode.UserWrite, File.ReadAllBytes(Path.Join(dir, "haresources")));
    }

    /// <summary>CASE/node-addresses (NODE=ADDR,ADDR per line), as --node-address gives them; null when the case has none.</summary>
    public static Dictionary<string, ImmutableArray<string>>? NodeAddresses(string name)
    {
        string path = Path.Join(InputDirectory(name), "node-addresses");
        return File.Exists(path)
            ? File.ReadAllLines(path).Where(l => l.Contains('=', StringComparison.Ordinal)).ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..].Split(',').ToImmutableArray(), StringComparer.Ordinal)
            : null;
    }

    public static ClusterExport Export(string name)
    {
        var result = PacemakerExporter.Convert(Files(name), NodeAddresses(name));
        Assert.True(result.Value is not null, string.Join("\n", result.Diagnostics));
        return result.Value;
    }
}
