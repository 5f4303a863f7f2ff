using System.Collections.Immutable;

namespace Heartbeat.Protocol.Config;

public enum DiagnosticSeverity
{
    Error,
    Warning,
    Note,
}

/// <summary>
/// One finding about a config file: where (file and 1-based line; 0 = the file as a whole), how bad, what is wrong
/// in words a person understands, and optionally how Heartbeat 3.0.6 would behave differently.
/// </summary>
public sealed record ConfigDiagnostic(string File, int Line, DiagnosticSeverity Severity, string Message, string? Hint = null)
{
    public string SeverityText => Severity switch
    {
        DiagnosticSeverity.Error => "error",
        DiagnosticSeverity.Warning => "warning",
        _ => "note",
    };

    /// <summary>The compiler-style form <c>file:line: error: message</c> that editors and CI logs understand.</summary>
    public override string ToString() => $"{File}:{Line}: {SeverityText}: {Message}{(Hint is null ? string.Empty : $" ({Hint})")}";
}

/// <summary>Collects diagnostics for one file.</summary>
public sealed class DiagnosticBag(string file)
{
    private readonly List<ConfigDiagnostic> _items = [];

    public string File { get; } = file;

    public bool HasErrors => _items.Any(d => d.Severity == DiagnosticSeverity.Error);

    public ImmutableArray<ConfigDiagnostic> Items => [.. _items];

    public void Error(int line, string message, string? hint = null) => _items.Add(new ConfigDiagnostic(File, line, DiagnosticSeverity.Error, message, hint));

    public void Warning(int line, string message, string? hint = null) => _items.Add(new ConfigDiagnostic(File, line, DiagnosticSeverity.Warning, message, hint));

    public void Note(int line, string message, string? hint = null) => _items.Add(new ConfigDiagnostic(File, line, DiagnosticSeverity.Note, message, hint));
}

/// <summary>A parse outcome: the value (null, or best effort, when there were errors; never use it then) and every diagnostic.</summary>
public sealed record ParseResult<T>(T? Value, ImmutableArray<ConfigDiagnostic> Diagnostics)
    where T : class
{
    public bool HasErrors => Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
}
