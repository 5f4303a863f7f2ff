namespace Heartbeat.Protocol.Tests.Support;

/// <summary>
/// Locates the repository and its test vectors (tests/vectors: real Heartbeat 3.0.6 captures with the keys they were
/// made with), so that a plain clone runs its own tests.
/// </summary>
public static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string Vectors => Path.Join(RepositoryRoot, "tests", "vectors");

    public static string Captures => Path.Join(Vectors, "captures");

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
