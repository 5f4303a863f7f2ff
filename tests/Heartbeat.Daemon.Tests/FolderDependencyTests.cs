using System.Text.RegularExpressions;

namespace Heartbeat.Daemon.Tests;

/// <summary>
/// The daemon's folders depend on each other in one direction only (Node, the loop, at the top; Interop at the bottom),
/// so each can be read without the ones above it; and hbctl does not reference the daemon. Found from the sources: a
/// folder depends on another when one of its files imports that folder's namespace or names a type through it.
/// </summary>
public sealed class FolderDependencyTests
{
    private static readonly string Root = FindRoot();

    private static readonly string DaemonSource = Path.Join(Root, "src", "Heartbeat.Daemon");

    [Fact]
    public void The_daemons_folders_have_no_dependency_loops()
    {
        var folders = Directory.GetDirectories(DaemonSource)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => name is not ("obj" or "bin"))
            .ToList();
        Assert.Contains("Node", folders);

        var edges = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (string folder in folders)
        {
            var uses = edges[folder] = new HashSet<string>(StringComparer.Ordinal);
            foreach (string file in Directory.EnumerateFiles(Path.Join(DaemonSource, folder), "*.cs"))
            {
                string code = string.Join('\n', File.ReadLines(file).Where(line => !line.TrimStart().StartsWith("//", StringComparison.Ordinal)));
                foreach (string other in folders.Where(other => other != folder))
                {
                    if (code.Contains($"using Heartbeat.Daemon.{other};", StringComparison.Ordinal) || Regex.IsMatch(code, $@"(?<![\w.]){other}\.[A-Z]\w*"))
                    {
                        uses.Add(other);
                    }
                }
            }
        }

        var loops = edges.SelectMany(edge => edge.Value.Where(to => Reaches(edges, to, edge.Key)).Select(to => $"{edge.Key} -> {to}")).ToList();
        Assert.True(loops.Count == 0, "folders that depend on each other: " + string.Join(", ", loops));
    }

    [Fact]
    public void Hbctl_does_not_reference_the_daemon()
    {
        string project = File.ReadAllText(Path.Join(Root, "src", "Heartbeat.Ctl", "Heartbeat.Ctl.csproj"));
        Assert.DoesNotContain("Heartbeat.Daemon", project, StringComparison.Ordinal);
        var users = Directory.EnumerateFiles(Path.Join(Root, "src", "Heartbeat.Ctl"), "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(file => File.ReadAllText(file).Contains("Heartbeat.Daemon", StringComparison.Ordinal))
            .ToList();
        Assert.Empty(users);
    }

    private static bool Reaches(Dictionary<string, HashSet<string>> edges, string from, string to)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { from };
        var pending = new Stack<string>([from]);
        while (pending.TryPop(out string? next))
        {
            foreach (string target in edges.GetValueOrDefault(next) ?? [])
            {
                if (target == to)
                {
                    return true;
                }

                if (seen.Add(target))
                {
                    pending.Push(target);
                }
            }
        }

        return false;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Join(dir.FullName, "HeartbeatNet.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("HeartbeatNet.sln not found above " + AppContext.BaseDirectory);
    }
}
