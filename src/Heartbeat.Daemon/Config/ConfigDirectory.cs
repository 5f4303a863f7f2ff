using Heartbeat.Protocol.Config;

namespace Heartbeat.Daemon.Config;

/// <summary>Reads the three files of a config directory for the pure <see cref="ClusterConfigLoader"/>.</summary>
public static class ConfigDirectory
{
    public const string Default = "/etc/ha.d";

    public static ConfigFiles Read(string directory)
    {
        string authKeysPath = Path.Join(directory, "authkeys");
        return new ConfigFiles(
            directory,
            ReadOrNull(Path.Join(directory, "ha.cf")),
            ReadOrNull(authKeysPath),
            File.Exists(authKeysPath) ? File.GetUnixFileMode(authKeysPath) : null,
            ReadOrNull(Path.Join(directory, "haresources")));
    }

    public static ConfigCheck Load(string directory, IHostFacts? host, string? nodeName = null) =>
        ClusterConfigLoader.Load(Read(directory), host, nodeName);

    private static byte[]? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException)
        {
            // A missing or unreadable file becomes a diagnostic ("Cannot open …") in the loader, never a crash.
            return null;
        }
    }
}
