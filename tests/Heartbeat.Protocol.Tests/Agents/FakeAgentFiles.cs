using Heartbeat.Protocol.Agents;

namespace Heartbeat.Protocol.Tests.Agents;

/// <summary>A machine's files for the wrappers: executables, plain files with text, provider directories.</summary>
public sealed class FakeAgentFiles : IAgentFiles
{
    public HashSet<string> Executables { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Texts { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Hashes { get; } = new(StringComparer.Ordinal);

    public List<string> ProviderNames { get; } = ["heartbeat"];

    /// <summary>Every agent of the heartbeat provider that the 3.0.6 wrappers call, as resource-agents installs them.</summary>
    public static FakeAgentFiles WithResourceAgents()
    {
        var files = new FakeAgentFiles();
        foreach (var wrapper in ResourceWrappers.All.Where(w => w.Agent.Length > 0))
        {
            files.Executables.Add($"/usr/lib/ocf/resource.d/heartbeat/{wrapper.Agent}");
        }

        files.Executables.Add("/usr/lib/ocf/resource.d/heartbeat/Dummy");
        return files;
    }

    public bool FileExists(string path) => Executables.Contains(path) || Texts.ContainsKey(path);

    public bool IsExecutable(string path) => Executables.Contains(path);

    public string? ReadText(string path) => Texts.GetValueOrDefault(path);

    public IReadOnlyList<string> Providers(string ocfRoot) => ProviderNames;

    public string? Sha256(string path) => Hashes.GetValueOrDefault(path);
}
