using System.Collections.Immutable;

namespace Heartbeat.Protocol.Wire;

/// <summary>
/// A Heartbeat message: an ordered list of fields. Order is kept exactly, because the inner digest covers the
/// fields in packet order and retransmissions must be byte-identical. Immutable: every change returns a new message.
/// </summary>
public sealed class HaMessage : IEquatable<HaMessage>
{
    public static readonly HaMessage Empty = new(ImmutableArray<HaField>.Empty);

    public HaMessage(ImmutableArray<HaField> fields) => Fields = fields.IsDefault ? ImmutableArray<HaField>.Empty : fields;

    public HaMessage(IEnumerable<HaField> fields)
        : this(fields.ToImmutableArray())
    {
    }

    public ImmutableArray<HaField> Fields { get; }

    /// <summary>The message type, field <c>t</c>.</summary>
    public string? Type => GetString(WireFields.Type);

    /// <summary>True for types that carry no seq and no ld (<c>NS_*</c>, "no sequence").</summary>
    public bool IsUnsequenced => Type?.StartsWith("NS_", StringComparison.Ordinal) == true;

    /// <summary>Whether the message holds a type 2, 4 or 5 field; 3.0.6 adds no inner <c>auth</c> field to those.</summary>
    public bool HasStructuredFields => Fields.Any(f => f.Type is FieldType.Struct or FieldType.Compressed or FieldType.Uncompressed);

    public HaField? Find(string name)
    {
        foreach (var field in Fields)
        {
            if (field.Name == name)
            {
                return field;
            }
        }

        return null;
    }

    /// <summary>The first String field of that name, or null.</summary>
    public string? GetString(string name) => Find(name) is { Type: FieldType.String } f ? f.Text : null;

    /// <summary>The first Binary field of that name, or null.</summary>
    public byte[]? GetBinary(string name) => Find(name) is { Type: FieldType.Binary } f ? f.Bytes.ToArray() : null;

    /// <summary>A String field holding lowercase hex without padding, as seq, hg, ts, dt and ackseq are written.</summary>
    public bool TryGetHex(string name, out ulong value)
    {
        value = 0;
        return Find(name) is { Type: FieldType.String } field && HexNumber.TryParse(field.RawBytes, out value);
    }

    /// <summary>Appends a field at the end.</summary>
    public HaMessage Add(HaField field) => new(Fields.Add(field));

    /// <summary>Replaces the first field of the same name in place, or appends it: how 3.0.6 adds its control fields.</summary>
    public HaMessage Set(HaField field)
    {
        for (int i = 0; i < Fields.Length; i++)
        {
            if (Fields[i].Name == field.Name)
            {
                return new HaMessage(Fields.SetItem(i, field));
            }
        }

        return Add(field);
    }

    public HaMessage Set(string name, string value) => Set(HaField.String(name, value));

    public HaMessage Remove(string name) => Find(name) is null ? this : new HaMessage(Fields.RemoveAll(f => f.Name == name));

    public bool Equals(HaMessage? other) => other is not null && Fields.SequenceEqual(other.Fields);

    public override bool Equals(object? obj) => Equals(obj as HaMessage);

    public override int GetHashCode() => Fields.Length;

    public override string ToString() => string.Join(" ", Fields.Select(f => f.ToString()));
}
