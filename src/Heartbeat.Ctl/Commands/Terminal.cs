using System.CommandLine;

namespace Heartbeat.Ctl.Commands;

/// <summary>
/// Colour for the human tables: on when writing to a terminal (not a pipe or file), unless NO_COLOR is set or TERM is
/// dumb; <c>--color always|never</c> overrides. Green for what is well (up, active, held), red for dead and failed,
/// yellow for what is on its way (init, up before active, acquiring, releasing).
/// </summary>
public sealed class Terminal(bool colour)
{
    public static readonly Terminal Plain = new(false);

    public bool Colour { get; } = colour;

    public static Option<string> ColorOption() => new Option<string>("--color")
    {
        Description = "Colour the tables: auto (on a terminal, unless NO_COLOR is set), always or never",
        DefaultValueFactory = _ => "auto",
    }.AcceptOnlyFromAmong("auto", "always", "never");

    /// <summary>What <c>--color</c> asks for, for output going to <paramref name="output"/>.</summary>
    public static Terminal For(string? mode, TextWriter output) => mode switch
    {
        "always" => new Terminal(true),
        "never" => Plain,
        _ => new Terminal(ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
            && Environment.GetEnvironmentVariable("TERM") is not "dumb"),
    };

    /// <summary>The cell coloured by what its word means; padding stays outside the escape codes so columns line up.</summary>
    public string Paint(string cell, int width)
    {
        string padded = cell.PadRight(width);
        if (!Colour || Tone(cell) is not { } code)
        {
            return padded;
        }

        return $"\e[{code}m{cell}\e[0m{padded[cell.Length..]}";
    }

    private static string? Tone(string cell) => cell switch
    {
        "active" or "up" or "held" or "yes" => "32",
        "dead" or "failed" or "stop failed" => "31",
        "init" or "acquiring" or "releasing" or "announcing" or "standby" => "33",
        _ => null,
    };

    /// <summary>Writes rows under a header, columns as wide as their widest cell, the last column unpadded.</summary>
    public void Table(TextWriter output, string[] header, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { header };
        all.AddRange(rows);
        var widths = Enumerable.Range(0, header.Length).Select(i => all.Max(r => r[i].Length)).ToArray();
        for (int r = 0; r < all.Count; r++)
        {
            var row = all[r];
            var cells = row.Select((cell, i) => r == 0 ? cell.PadRight(widths[i]) : Paint(cell, i == row.Length - 1 ? 0 : widths[i]));
            output.WriteLine(string.Join("  ", cells).TrimEnd());
        }
    }
}
