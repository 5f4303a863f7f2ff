using System.Globalization;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Membership;

namespace Heartbeat.Daemon.State;

/// <summary>
/// The node's identity on disk, in 3.0.6's formats so a converted node keeps it: <c>hb_uuid</c> holds the 16 raw uuid
/// bytes, <c>hb_generation</c> the generation as decimal text right-aligned in 15 columns plus a newline.
/// </summary>
public sealed class NodeStateFiles(string stateDirectory)
{
    public const string DefaultDirectory = "/var/lib/heartbeat";

    public string UuidPath => Path.Join(stateDirectory, "hb_uuid");

    public string GenerationPath => Path.Join(stateDirectory, "hb_generation");

    /// <summary>Reads the uuid, or creates and stores one (3.0.6: "No uuid found for current node - generating a new uuid.").</summary>
    public NodeUuid LoadOrCreateUuid(UuidSource source, string nodeName, out bool created)
    {
        created = false;
        if (source == UuidSource.NodeName)
        {
            return NodeUuid.FromNodeName(nodeName);
        }

        if (File.Exists(UuidPath))
        {
            byte[] bytes = File.ReadAllBytes(UuidPath);
            if (NodeUuid.TryFromBytes(bytes, out var uuid))
            {
                return uuid;
            }

            throw new StateFileException(UuidPath, $"holds {bytes.Length} bytes, not the 16 of a uuid; move it away to generate a new identity");
        }

        var fresh = NodeUuid.NewRandom();
        WriteAtomically(UuidPath, fresh.ToBytes());
        created = true;
        return fresh;
    }

    /// <summary>
    /// The generation of this run: the stored one + 1, or the current time for a new file (and always the current time
    /// with <c>hbgenmethod time</c>). It is written back before anything is sent, so no two runs share a generation.
    /// </summary>
    public ulong NextGeneration(GenerationMethod method, DateTimeOffset now)
    {
        ulong generation;
        ulong clock = (ulong)now.ToUnixTimeSeconds();
        if (method == GenerationMethod.Time)
        {
            generation = clock;
        }
        else if (File.Exists(GenerationPath))
        {
            string text = File.ReadAllText(GenerationPath).Trim();
            if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong stored))
            {
                throw new StateFileException(GenerationPath, $"does not hold a decimal generation ('{text}')");
            }

            generation = stored + 1;
        }
        else
        {
            generation = clock;
        }

        WriteAtomically(GenerationPath, System.Text.Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{generation,15}\n")));
        return generation;
    }

    /// <summary>Creates the state directory if it is missing (as the package would have).</summary>
    public void EnsureDirectory()
    {
        ThrowIfFile();
        try
        {
            Directory.CreateDirectory(stateDirectory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StateFileException(stateDirectory, $"cannot be created: {ex.Message.TrimEnd('.', ' ')}");
        }
    }

    // .NET's own words for this are misleading ("The file '/var/lib/heartbeat' already exists"): say what it must be.
    private void ThrowIfFile()
    {
        if (File.Exists(stateDirectory))
        {
            throw new StateFileException(stateDirectory, "is a file; it must be the directory where the node's uuid and generation are kept");
        }
    }

    private void WriteAtomically(string path, byte[] content)
    {
        ThrowIfFile();
        string temporary = path + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A full disk leaves a partial temporary file behind; the stored file itself is untouched.
            TryDelete(temporary);
            throw new StateFileException(path, $"cannot be written: {ex.Message.TrimEnd('.', ' ')} (the state directory {stateDirectory} must exist, be writable and have space)");
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing more to do: the error that brought us here is what gets reported.
        }
    }
}

/// <summary>A state file that exists but cannot be used; the message names the file and what is wrong.</summary>
public sealed class StateFileException(string path, string problem) : Exception($"{path}: {problem}")
{
    public string FilePath { get; } = path;
}
