using System.Buffers.Binary;
using System.Text;

namespace Heartbeat.Daemon.Logging;

/// <summary>
/// journald's native protocol (systemd.journal-fields(7), "Native Journal Protocol"): one datagram per entry, each
/// field <c>NAME=value\n</c>, or, when the value contains a newline, <c>NAME\n</c> + its length as a little-endian
/// 64-bit integer + the value + <c>\n</c>. Names are upper-case letters, digits and '_' and must not start with '_'
/// or a digit (those are journald's own); anything else is mapped to that alphabet.
/// </summary>
public sealed class JournaldDatagram
{
    private readonly MemoryStream _buffer = new();

    public JournaldDatagram Add(string name, string? value)
    {
        if (value is null)
        {
            return this;
        }

        byte[] key = Encoding.ASCII.GetBytes(FieldName(name));
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        _buffer.Write(key);
        if (Array.IndexOf(bytes, (byte)'\n') < 0)
        {
            _buffer.WriteByte((byte)'=');
            _buffer.Write(bytes);
        }
        else
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)bytes.Length);
            _buffer.WriteByte((byte)'\n');
            _buffer.Write(length);
            _buffer.Write(bytes);
        }

        _buffer.WriteByte((byte)'\n');
        return this;
    }

    public byte[] ToArray() => _buffer.ToArray();

    /// <summary>"Peer" → PEER, "firstArp" → FIRST_ARP, "_x" → X: a valid journald field name (at most 64 bytes).</summary>
    public static string FieldName(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsAsciiLetterUpper(c) && i > 0 && (char.IsAsciiLetterLower(name[i - 1]) || char.IsAsciiDigit(name[i - 1])))
            {
                builder.Append('_');
            }

            builder.Append(char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_');
        }

        string result = builder.ToString().TrimStart('_');
        if (result.Length == 0 || char.IsAsciiDigit(result[0]))
        {
            result = "F" + result;
        }

        return result.Length > 64 ? result[..64] : result;
    }
}
