using System.Collections.Immutable;

namespace Heartbeat.Protocol.Wire;

/// <summary>One name=value pair of a Heartbeat message. Immutable; the factory methods refuse what a 3.0.6 peer would choke on.</summary>
public sealed class HaField : IEquatable<HaField>
{
    private readonly byte[]? _bytes;
    private readonly HaMessage? _message;
    private readonly ImmutableArray<byte[]> _items;

    private HaField(string name, FieldType type, byte[]? bytes, HaMessage? message, ImmutableArray<byte[]> items)
    {
        Name = name;
        Type = type;
        _bytes = bytes;
        _message = message;
        _items = items;
    }

    public string Name { get; }

    public FieldType Type { get; }

    /// <summary>The raw value of a String, Binary or Compressed field.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes ?? throw new InvalidOperationException($"Field '{Name}' of type {Type} has no byte value.");

    /// <summary>The value of a String field as text (Latin-1, so every byte survives).</summary>
    public string Text => Type == FieldType.String ? Latin1.GetString(_bytes) : throw new InvalidOperationException($"Field '{Name}' is {Type}, not String.");

    /// <summary>The nested message of a Struct or Uncompressed field.</summary>
    public HaMessage Message => _message ?? throw new InvalidOperationException($"Field '{Name}' of type {Type} has no nested message.");

    /// <summary>The items of a List field.</summary>
    public ImmutableArray<byte[]> Items => Type == FieldType.List ? _items : throw new InvalidOperationException($"Field '{Name}' is {Type}, not List.");

    public static HaField String(string name, string value) => StringBytes(name, Latin1.GetBytes(value));

    public static HaField StringBytes(string name, ReadOnlySpan<byte> value)
    {
        CheckName(name);
        if (value.Contains((byte)0))
        {
            // A NUL in a string makes a 3.0.6 receiver log "stringlen does not match" and abort.
            throw new ArgumentException($"String field '{name}' must not contain NUL.", nameof(value));
        }

        return new HaField(name, FieldType.String, value.ToArray(), null, default);
    }

    public static HaField Binary(string name, ReadOnlySpan<byte> value)
    {
        CheckName(name);
        return new HaField(name, FieldType.Binary, value.ToArray(), null, default);
    }

    public static HaField Compressed(string name, ReadOnlySpan<byte> value)
    {
        CheckName(name);
        return new HaField(name, FieldType.Compressed, value.ToArray(), null, default);
    }

    public static HaField Struct(string name, HaMessage value)
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(value);
        return new HaField(name, FieldType.Struct, null, value, default);
    }

    public static HaField Uncompressed(string name, HaMessage value)
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(value);
        return new HaField(name, FieldType.Uncompressed, null, value, default);
    }

    public static HaField List(string name, IEnumerable<string> items) => ListBytes(name, items.Select(Latin1.GetBytes));

    public static HaField ListBytes(string name, IEnumerable<byte[]> items)
    {
        CheckName(name);
        var array = items.Select(i => (byte[])i.Clone()).ToImmutableArray();
        if (array.Any(i => i.Length == 0))
        {
            // A "0:" item makes a 3.0.6 receiver reject the whole packet (unpack_string_list error).
            throw new ArgumentException($"List field '{name}' must not contain empty items.", nameof(items));
        }

        return new HaField(name, FieldType.List, null, null, array);
    }

    /// <summary>Builds a field from already validated decoder output (no copies).</summary>
    internal static HaField FromDecoded(string name, FieldType type, byte[]? bytes, HaMessage? message, ImmutableArray<byte[]> items)
        => new(name, type, bytes, message, items);

    internal byte[] RawBytes => _bytes!;

    public bool Equals(HaField? other)
    {
        if (other is null || other.Name != Name || other.Type != Type)
        {
            return false;
        }

        return Type switch
        {
            FieldType.Struct or FieldType.Uncompressed => _message!.Equals(other._message),
            FieldType.List => _items.Length == other._items.Length && _items.Zip(other._items).All(p => p.First.AsSpan().SequenceEqual(p.Second)),
            _ => _bytes.AsSpan().SequenceEqual(other._bytes),
        };
    }

    public override bool Equals(object? obj) => Equals(obj as HaField);

    public override int GetHashCode() => HashCode.Combine(Name, Type);

    /// <summary>A short human form for logs and <c>hbctl decode</c>; binary values are shown as hex.</summary>
    public override string ToString() => Type switch
    {
        FieldType.String => $"{Name}={Text}",
        FieldType.Binary or FieldType.Compressed => $"{Name}=<{_bytes!.Length} bytes {Convert.ToHexStringLower(_bytes.AsSpan(0, Math.Min(16, _bytes.Length)))}{(_bytes.Length > 16 ? "…" : string.Empty)}>",
        FieldType.List => $"{Name}=[{string.Join(",", _items.Select(i => Latin1.GetString(i)))}]",
        _ => $"{Name}={{{_message}}}",
    };

    private static void CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('=') || name.Contains('\0') || name.Contains('\n'))
        {
            throw new ArgumentException($"Field name '{name}' must not contain '=', NUL or LF.", nameof(name));
        }
    }
}
