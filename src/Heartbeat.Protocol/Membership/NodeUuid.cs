using System.Text;

namespace Heartbeat.Protocol.Membership;

/// <summary>
/// A node's uuid as 3.0.6 keeps it: 16 raw bytes in RFC 4122 (text) order, the content of <c>hb_uuid</c> and of the
/// <c>srcuuid</c>/<c>destuuid</c> fields. .NET's <see cref="Guid.ToByteArray()"/> uses another byte order, so it is not used.
/// </summary>
public readonly record struct NodeUuid
{
    public const int Length = 16;

    private readonly ulong _high;
    private readonly ulong _low;

    private NodeUuid(ulong high, ulong low)
    {
        _high = high;
        _low = low;
    }

    public static NodeUuid FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"A uuid has {Length} bytes, not {bytes.Length}.", nameof(bytes));
        }

        return new NodeUuid(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes), System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));
    }

    public static bool TryFromBytes(ReadOnlySpan<byte> bytes, out NodeUuid uuid)
    {
        uuid = default;
        if (bytes.Length != Length)
        {
            return false;
        }

        uuid = FromBytes(bytes);
        return true;
    }

    /// <summary>A random (version 4) uuid, what 3.0.6 generates on first start.</summary>
    public static NodeUuid NewRandom()
    {
        // Guid.NewGuid draws from the kernel's CSPRNG through the runtime's own shim; RandomNumberGenerator would do the
        // same through OpenSSL, which maps libcrypto and libssl (~3.7 MB resident) into the daemon for 16 bytes.
        Span<byte> bytes = stackalloc byte[Length];
        Guid.NewGuid().TryWriteBytes(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return FromBytes(bytes);
    }

    /// <summary>
    /// <c>uuidfrom nodename</c>: a stable uuid derived from the name (MD5, version 3 layout). 3.0.6 uses glibc rand()
    /// seeded from the name, which is not reproducible across libcs; stability per name is what matters.
    /// </summary>
    public static NodeUuid FromNodeName(string name)
    {
        Span<byte> hash = stackalloc byte[Auth.ManagedDigests.Md5Size];
        Auth.ManagedDigests.Md5(Encoding.UTF8.GetBytes(name), hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x30);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return FromBytes(hash);
    }

    /// <summary>Writes the 16 bytes into <paramref name="destination"/> (no allocation).</summary>
    public void WriteBytes(Span<byte> destination)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
    }

    public byte[] ToBytes()
    {
        byte[] bytes = new byte[Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes, _high);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8), _low);
        return bytes;
    }

    /// <summary>The RFC 4122 text form, as 3.0.6 prints it in logs.</summary>
    public override string ToString()
    {
        string hex = Convert.ToHexStringLower(ToBytes());
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }
}
