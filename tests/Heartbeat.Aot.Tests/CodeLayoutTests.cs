using System.Buffers.Binary;
using System.Text;
using Heartbeat.Protocol.Tests.Support;

namespace Heartbeat.Aot.Tests;

/// <summary>
/// The daemon's method layout (src/Heartbeat.Daemon/code-layout.txt, written by bench/code-layout.sh): the build honours
/// it, and it still names the methods the compiler produces. A layout gone stale costs nothing but memory and CPU at
/// rest (the compiler ignores names it does not know), so it is these tests that say when to record it again.
/// </summary>
[Collection(AotCollection.Name)]
public sealed class CodeLayoutTests(AotBuilds builds)
{
    private static readonly string LayoutFile = Path.Join(TestPaths.RepositoryRoot, "src", "Heartbeat.Daemon", "code-layout.txt");

    /// <summary>The per-heartbeat part is ~50 KB of code; laid out first it sits within this much of the section's start
    /// (spread over all of the 3.5 MB section without the layout).</summary>
    private const long HotCodeReach = 256 * 1024;

    [Fact]
    public void The_layout_still_names_the_methods_the_compiler_produces()
    {
        Assert.True(builds.Daemon.Code == 0, builds.Daemon.Log);
        var layout = Layout.Read(LayoutFile);
        var binary = ElfSymbols.Read(builds.Daemon.Binary);

        var all = layout.Parts.SelectMany(part => part).ToList();
        Assert.True(all.Count > 1000, $"{LayoutFile} names only {all.Count} methods");
        int present = all.Count(binary.Functions.ContainsKey);
        Assert.True(present >= all.Count * 9 / 10,
            $"{present} of the {all.Count} methods {LayoutFile} names are left in the build: record it again (bash bench/code-layout.sh)");
    }

    [Fact]
    public void The_binary_places_the_per_heartbeat_code_at_the_start_of_the_managed_code()
    {
        Assert.True(builds.Daemon.Code == 0, builds.Daemon.Log);
        var layout = Layout.Read(LayoutFile);
        var binary = ElfSymbols.Read(builds.Daemon.Binary);
        var (start, size) = binary.Sections["__managedcode"];

        var hot = layout.Parts[0]
            .Where(binary.Functions.ContainsKey)
            .Select(name => (Name: name, Address: binary.Functions[name]))
            .Where(method => method.Address >= start && method.Address < start + size)
            .ToList();
        Assert.True(hot.Count >= 50, $"only {hot.Count} per-heartbeat methods found in __managedcode");
        var far = hot.Where(method => method.Address - start >= HotCodeReach).ToList();
        Assert.True(far.Count <= hot.Count / 10,
            $"{far.Count} of {hot.Count} per-heartbeat methods lie beyond the first {HotCodeReach / 1024} KB of the managed code " +
            $"(is IlcOrderFile set?), e.g. {string.Join(", ", far.Take(3).Select(method => method.Name))}");

        // And in the listed order (the linker keeps the compiler's order within the section).
        int ascending = hot.Zip(hot.Skip(1)).Count(pair => pair.Second.Address > pair.First.Address);
        Assert.True(ascending >= (hot.Count - 1) * 9 / 10, $"{ascending} of {hot.Count - 1} consecutive per-heartbeat methods in the listed order");
    }

    /// <summary>code-layout.txt: method names, one per line, in parts that start with "# 1.", "# 2.", … comment lines.</summary>
    private sealed record Layout(IReadOnlyList<IReadOnlyList<string>> Parts)
    {
        public static Layout Read(string path)
        {
            var parts = new List<List<string>>();
            foreach (string line in File.ReadLines(path))
            {
                if (line.Length > 3 && line.StartsWith("# ", StringComparison.Ordinal) && char.IsAsciiDigit(line[2]))
                {
                    parts.Add([]);
                }
                else if (line.Length > 0 && line[0] != '#')
                {
                    Assert.True(parts.Count > 0, $"{path}: a name before the first part heading");
                    parts[^1].Add(line);
                }
            }

            Assert.True(parts.Count == 4, $"{path}: {parts.Count} parts, expected 4");
            return new Layout(parts);
        }
    }

    /// <summary>The section table and the function symbols of an ELF64 little-endian file (the daemon, published with its symbols).</summary>
    private sealed record ElfSymbols(IReadOnlyDictionary<string, (ulong Start, ulong Size)> Sections, IReadOnlyDictionary<string, ulong> Functions)
    {
        private const int SymbolTableType = 2; // SHT_SYMTAB
        private const int FunctionSymbolType = 2; // STT_FUNC
        private const int SectionHeaderSize = 64; // sizeof(Elf64_Shdr)
        private const int SymbolSize = 24; // sizeof(Elf64_Sym)

        public static ElfSymbols Read(string path)
        {
            byte[] file = File.ReadAllBytes(path);
            Assert.True(file.AsSpan(0, 4).SequenceEqual("\u007fELF"u8) && file[4] == 2 && file[5] == 1, $"{path} is not an ELF64 little-endian file");
            ulong sectionTable = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(0x28)); // e_shoff
            int sectionCount = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(0x3C)); // e_shnum
            int sectionNames = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(0x3E)); // e_shstrndx

            ReadOnlySpan<byte> Header(int index) => file.AsSpan(checked((int)sectionTable + index * SectionHeaderSize), SectionHeaderSize);
            static string Text(ReadOnlySpan<byte> table, uint offset)
            {
                var rest = table[(int)offset..];
                return Encoding.UTF8.GetString(rest[..rest.IndexOf((byte)0)]);
            }

            ReadOnlySpan<byte> Contents(int index)
            {
                var header = Header(index);
                return file.AsSpan(checked((int)BinaryPrimitives.ReadUInt64LittleEndian(header[0x18..])), checked((int)BinaryPrimitives.ReadUInt64LittleEndian(header[0x20..])));
            }

            var sections = new Dictionary<string, (ulong, ulong)>(StringComparer.Ordinal);
            var functions = new Dictionary<string, ulong>(StringComparer.Ordinal);
            var names = Contents(sectionNames);
            for (int index = 0; index < sectionCount; index++)
            {
                var header = Header(index);
                string name = Text(names, BinaryPrimitives.ReadUInt32LittleEndian(header));
                sections[name] = (BinaryPrimitives.ReadUInt64LittleEndian(header[0x10..]), BinaryPrimitives.ReadUInt64LittleEndian(header[0x20..]));
                if (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) != SymbolTableType)
                {
                    continue;
                }

                var symbols = Contents(index);
                var strings = Contents((int)BinaryPrimitives.ReadUInt32LittleEndian(header[0x28..])); // sh_link
                for (int offset = 0; offset + SymbolSize <= symbols.Length; offset += SymbolSize)
                {
                    var symbol = symbols.Slice(offset, SymbolSize);
                    ulong address = BinaryPrimitives.ReadUInt64LittleEndian(symbol[8..]);
                    if ((symbol[4] & 0xF) == FunctionSymbolType && address != 0)
                    {
                        functions.TryAdd(Text(strings, BinaryPrimitives.ReadUInt32LittleEndian(symbol)), address);
                    }
                }
            }

            return new ElfSymbols(sections, functions);
        }
    }
}
