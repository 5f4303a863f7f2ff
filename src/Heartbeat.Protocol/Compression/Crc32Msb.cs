namespace Heartbeat.Protocol.Compression;

/// <summary>
/// CRC-32 with polynomial 0x04C11DB7, MSB first, no reflection. Heartbeat's <c>crc</c> auth method and
/// bzip2's block checksum both use this table; they differ only in the initial value.
/// </summary>
public static class Crc32Msb
{
    private static readonly uint[] Table = BuildTable();

    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            crc = (crc << 8) ^ Table[(crc >> 24) ^ b];
        }

        return crc;
    }

    public static uint UpdateByte(uint crc, byte b) => (crc << 8) ^ Table[(crc >> 24) ^ b];

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i << 24;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 0x8000_0000) != 0 ? (c << 1) ^ 0x04C1_1DB7 : c << 1;
            }

            table[i] = c;
        }

        return table;
    }
}
