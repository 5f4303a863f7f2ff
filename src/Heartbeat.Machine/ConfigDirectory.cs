using Heartbeat.Protocol.Config;

namespace Heartbeat.Machine;

/// <summary>Reads the three files of a config directory for the pure <see cref="ClusterConfigLoader"/>.</summary>
public static class ConfigDirectory
{
    public const string Default = "/etc/ha.d";

    public static ConfigFiles Read(string directory)
    {
        string authKeysPath = Path.Join(directory, "authkeys");
        var failures = new Dictionary<string, string>(StringComparer.Ordinal);
        return new ConfigFiles(
            directory,
            ReadOrNull(directory, "ha.cf", failures),
            ReadOrNull(directory, "authkeys", failures),
            File.Exists(authKeysPath) ? File.GetUnixFileMode(authKeysPath) : null,
            ReadOrNull(directory, "haresources", failures))
        {
            OpenFailures = failures,
        };
    }

    public static ConfigCheck Load(string directory, IHostFacts? host, string? nodeName = null) =>
        ClusterConfigLoader.Load(Read(directory), host, nodeName);

    private static byte[]? ReadOrNull(string directory, string name, Dictionary<string, string> failures)
    {
        string path = Path.Join(directory, name);
        if (Directory.Exists(path))
        {
            // .NET reports a directory as "access denied", which sends the admin to chmod; say what it is.
            failures[name] = $"{path} is a directory, not a file";
            return null;
        }

        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            // A missing file becomes a diagnostic ("Cannot open …") in the loader, never a crash.
            return null;
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            failures[name] = ex.Message;
            return null;
        }
    }
}
