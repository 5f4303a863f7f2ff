namespace Heartbeat.Protocol.Tests.Support;

/// <summary>Locates the repository and the shared facts folder beside it (../shared), or $HEARTBEAT_SHARED.</summary>
public static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string Shared => Environment.GetEnvironmentVariable("HEARTBEAT_SHARED") is { Length: > 0 } shared
        ? shared
        : Path.GetFullPath(Path.Join(RepositoryRoot, "..", "shared"));

    public static string Captures => Path.Join(Shared, "captures");

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
