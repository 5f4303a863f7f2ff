using System.Collections.Immutable;
using Heartbeat.Protocol.Auth;

namespace Heartbeat.Protocol.Config;

/// <summary>The three files of a config directory as bytes; null content means the file does not exist.</summary>
public sealed record ConfigFiles(
    string Directory,
    byte[]? HaCf,
    byte[]? AuthKeys,
    UnixFileMode? AuthKeysMode,
    byte[]? HaResources)
{
    public string HaCfPath => Path.Join(Directory, "ha.cf");

    public string AuthKeysPath => Path.Join(Directory, "authkeys");

    public string HaResourcesPath => Path.Join(Directory, "haresources");

    /// <summary>
    /// Why a file that exists could not be read (a directory in its place, permission denied, an I/O error), by file
    /// name; a missing file has no entry. The "Cannot open" error then says why instead of how to create the file.
    /// </summary>
    public IReadOnlyDictionary<string, string> OpenFailures { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>A complete, validated configuration: what a node runs with.</summary>
public sealed record ClusterConfig(HaCf HaCf, AuthKeys AuthKeys, HaResources Resources);

/// <summary>The outcome of checking a config directory: the config when nothing is wrong, and every diagnostic of every file.</summary>
public sealed record ConfigCheck(ClusterConfig? Config, ImmutableArray<ConfigDiagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
}

/// <summary>Parses and cross-checks the three files; pure (the caller reads the files and supplies host facts).</summary>
public static class ClusterConfigLoader
{
    /// <param name="files">The three files.</param>
    /// <param name="host">This machine, when the files are the ones a node here runs with; null checks them for another machine (no interface checks, key-file mode only warned about).</param>
    /// <param name="nodeName">The node name to check for instead of the host's uname -n.</param>
    public static ConfigCheck Load(ConfigFiles files, IHostFacts? host, string? nodeName = null)
    {
        var diagnostics = ImmutableArray.CreateBuilder<ConfigDiagnostic>();
        HaCf? haCf = null;
        if (files.HaCf is null)
        {
            diagnostics.Add(new ConfigDiagnostic(files.HaCfPath, 0, DiagnosticSeverity.Error, $"Cannot open config file [{files.HaCfPath}]", files.OpenFailures.GetValueOrDefault("ha.cf") ?? "every node needs ha.cf, authkeys and haresources in its config directory"));
        }
        else
        {
            var parsed = HaCfParser.Parse(files.HaCf, files.HaCfPath);
            diagnostics.AddRange(parsed.Diagnostics);
            haCf = parsed.Value;
            if (haCf is not null)
            {
                diagnostics.AddRange(HostChecks.Check(haCf, files.HaCfPath, host, nodeName));
                if (parsed.HasErrors && haCf.Nodes.IsEmpty)
                {
                    haCf = null; // nothing to check haresources against
                }
            }
        }

        AuthKeys? keys = null;
        if (files.AuthKeys is null)
        {
            diagnostics.Add(new ConfigDiagnostic(files.AuthKeysPath, 0, DiagnosticSeverity.Error, $"Cannot open keyfile [{files.AuthKeysPath}]. Stop.", files.OpenFailures.GetValueOrDefault("authkeys") ?? "create it with 'auth 1' and '1 sha1 SECRET', mode 600"));
        }
        else
        {
            var parsed = AuthKeysParser.Parse(files.AuthKeys, files.AuthKeysPath, files.AuthKeysMode, deployed: host is not null);
            diagnostics.AddRange(parsed.Diagnostics);
            keys = parsed.Value;
        }

        HaResources? resources = null;
        if (files.HaResources is null)
        {
            diagnostics.Add(new ConfigDiagnostic(files.HaResourcesPath, 0, DiagnosticSeverity.Error, $"Cannot open resources file [{files.HaResourcesPath}]", files.OpenFailures.GetValueOrDefault("haresources") ?? "haresources mode needs the file, even empty; copy it unchanged from the other node"));
        }
        else
        {
            // Without a readable ha.cf the node names cannot be checked, but the rest of the file still is.
            var parsed = HaResourcesParser.Parse(files.HaResources, files.HaResourcesPath, haCf?.Nodes.Select(n => n.Name).ToArray());
            diagnostics.AddRange(parsed.Diagnostics);
            resources = parsed.Value;
        }

        var all = diagnostics.ToImmutable();
        bool ok = haCf is not null && keys is not null && resources is not null && !all.Any(d => d.Severity == DiagnosticSeverity.Error);
        return new ConfigCheck(ok ? new ClusterConfig(haCf!, keys!, resources!) : null, all);
    }
}
