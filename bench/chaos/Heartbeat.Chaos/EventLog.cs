using System.Text.Json;

namespace Heartbeat.Chaos;

/// <summary>events.jsonl: one JSON object a line, every nemesis action and every violation with its wall-clock time.</summary>
public sealed class EventLog : IDisposable
{
    private readonly StreamWriter _writer;

    public EventLog(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
        _writer = new StreamWriter(Path.Join(directory, "events.jsonl"), append: false) { AutoFlush = true };
    }

    public string Directory { get; }

    public void Write(int run, string kind, string node, string what) =>
        Line(EvidenceParsers.Epoch(DateTimeOffset.UtcNow), run, "nemesis", kind, node, what);

    /// <summary>A violation ("violation": counted; "reference": a real 3.0.6 node's, reported apart).</summary>
    public void Violation(int run, Violation violation, string type) =>
        Line(violation.At, run, type, violation.Rule, violation.Node, $"{violation.Detail} (culprit {violation.Culprit})");

    public void Dispose() => _writer.Dispose();

    private void Line(double at, int run, string type, string kind, string node, string what)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("t", Math.Round(at, 6));
            json.WriteNumber("run", run);
            json.WriteString("type", type);
            json.WriteString("kind", kind);
            json.WriteString("node", node);
            json.WriteString("what", what);
            json.WriteEndObject();
        }

        lock (_writer)
        {
            _writer.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        }
    }
}
