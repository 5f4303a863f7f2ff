using System.Collections.Immutable;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Tests.Support;

/// <summary>Generates random messages of every field type, within what each framing can express.</summary>
public sealed class RandomMessages(int seed)
{
    private readonly Random _random = new(seed);

    /// <param name="classicSafe">Avoid bytes the classic text form cannot carry: 0x13–0x1F in strings (LF and nesting symbols), LF in list items, '(' starting a string field's name.</param>
    /// <param name="depth">Current nesting level.</param>
    public HaMessage Next(bool classicSafe, int depth = 0)
    {
        int count = _random.Next(0, depth == 0 ? 12 : 5);
        var fields = ImmutableArray.CreateBuilder<HaField>();
        for (int i = 0; i < count; i++)
        {
            var type = (FieldType)_random.Next(0, depth < 3 ? 6 : 2);
            string name = Name(classicSafe && type == FieldType.String);
            fields.Add(type switch
            {
                FieldType.String => HaField.StringBytes(name, Bytes(0, 40, b => b != 0 && !(classicSafe && b is >= 0x13 and <= 0x1F))),
                FieldType.Binary => HaField.Binary(name, Bytes(0, 40, _ => true)),
                FieldType.Compressed => HaField.Compressed(name, Bytes(0, 40, _ => true)),
                FieldType.List => HaField.ListBytes(name, Enumerable.Range(0, _random.Next(0, 5)).Select(_ => Bytes(1, 12, b => !(classicSafe && b is (byte)'\n' or >= 0x13 and <= 0x1F)))),
                FieldType.Struct => HaField.Struct(name, Next(classicSafe, depth + 1)),
                _ => HaField.Uncompressed(name, Next(classicSafe, depth + 1)),
            });
        }

        return new HaMessage(fields.ToImmutable());
    }

    private string Name(bool avoidParenthesis)
    {
        while (true)
        {
            byte[] bytes = Bytes(1, 10, b => b is not ((byte)'=' or 0 or (byte)'\n') && b is not (>= 0x13 and <= 0x1F));
            if (!(avoidParenthesis && bytes[0] == (byte)'(') && !(bytes.Length >= 3 && bytes[0] == (byte)'(' && bytes[2] == (byte)')') && !"<<<"u8.SequenceEqual(bytes))
            {
                return System.Text.Encoding.Latin1.GetString(bytes);
            }
        }
    }

    private byte[] Bytes(int min, int max, Func<byte, bool> allowed)
    {
        var result = new byte[_random.Next(min, max + 1)];
        for (int i = 0; i < result.Length; i++)
        {
            byte b;
            do
            {
                // Bias towards the bytes that break naive parsers: , : = LF # % > <
                b = _random.Next(4) == 0 ? ",:=\n#%><()"u8[_random.Next(10)] : (byte)_random.Next(256);
            }
            while (!allowed(b));
            result[i] = b;
        }

        return result;
    }
}
