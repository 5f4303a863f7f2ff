using System.Security.Cryptography;
using Heartbeat.Protocol.Agents;

namespace Heartbeat.Machine;

/// <summary>The files the resource.d wrappers look at, read from this machine.</summary>
public sealed class SystemAgentFiles : IAgentFiles
{
    public static SystemAgentFiles Instance { get; } = new();

    public bool FileExists(string path) => File.Exists(path);

    // ResourceManager's test: a regular file with an execute bit.
    public bool IsExecutable(string path) =>
        File.Exists(path) && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    public string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public IReadOnlyList<string> Providers(string ocfRoot)
    {
        string directory = Path.Join(ocfRoot, "resource.d");
        return Directory.Exists(directory) ? [.. Directory.EnumerateDirectories(directory).Select(d => Path.GetFileName(d))] : [];
    }

    public string? Sha256(string path)
    {
        try
        {
            return Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
