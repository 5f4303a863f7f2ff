using Heartbeat.Fuzz;

// Heartbeat.Fuzz list                       the targets
// Heartbeat.Fuzz seeds TARGET DIR           writes the seed corpus (captures, sample and capture configs)
// Heartbeat.Fuzz afl TARGET                 runs under afl-fuzz (SharpFuzz, persistent mode)
// Heartbeat.Fuzz replay TARGET PATH...      runs files (or every file of directories) through the target; exit 1 on a finding
switch (args)
{
    case ["list"]:
        foreach (var target in Targets.All)
        {
            Console.WriteLine($"{target.Name}\t{target.Description}");
        }

        return 0;
    case ["seeds", var name, var directory] when Targets.Find(name) is not null:
        int written = Seeds.Write(name, directory);
        Console.WriteLine($"{name}: {written} seeds in {directory}");
        return written > 0 ? 0 : 1;
    case ["afl", var name] when Targets.Find(name) is { } target:
        SharpFuzz.Fuzzer.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            target.RunBounded(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        });
        return 0;
    case ["replay", var name, .. var paths] when Targets.Find(name) is { } target && paths.Length > 0:
        return Replay(target, paths);
    default:
        Console.Error.WriteLine("usage: Heartbeat.Fuzz list | seeds TARGET DIR | afl TARGET | replay TARGET PATH...");
        Console.Error.WriteLine("targets: " + string.Join(", ", Targets.All.Select(t => t.Name)));
        return 2;
}

static int Replay(FuzzTarget target, string[] paths)
{
    var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p) : [p]).Order(StringComparer.Ordinal).ToList();
    int findings = 0;
    foreach (string file in files)
    {
        try
        {
            target.RunBounded(File.ReadAllBytes(file));
        }
#pragma warning disable CA1031 // Any exception is a finding to report, not to handle.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            findings++;
            Console.WriteLine($"{file}: {ex.GetType().Name}: {ex.Message}");
        }
    }

    Console.WriteLine($"{target.Name}: {files.Count} inputs replayed, {findings} findings");
    return findings == 0 ? 0 : 1;
}
