using System.IO.Compression;

namespace Heartbeat.Protocol.Compression;

/// <summary>The compression plugins of 3.0.6 that can appear in <c>_compression_algorithm</c>.</summary>
public enum CompressionAlgorithm
{
    Zlib,
    BZip2,
}

/// <summary>Whole-message ("traditional") compression payloads: zlib (RFC 1950) and bzip2, always size-capped.</summary>
public static class PayloadCompression
{
    /// <summary>The plugin name as 3.0.6 writes it (also the <c>compression</c> directive's value).</summary>
    public static string WireName(CompressionAlgorithm algorithm) => algorithm == CompressionAlgorithm.Zlib ? "zlib" : "bz2";

    public static bool TryParseWireName(string? name, out CompressionAlgorithm algorithm)
    {
        switch (name)
        {
            case "zlib":
                algorithm = CompressionAlgorithm.Zlib;
                return true;
            case "bz2":
                algorithm = CompressionAlgorithm.BZip2;
                return true;
            default:
                algorithm = default;
                return false;
        }
    }

    public static bool TryDecompress(CompressionAlgorithm algorithm, ReadOnlySpan<byte> input, int maxOutput, out byte[] output, out string error)
        => algorithm == CompressionAlgorithm.Zlib
            ? TryInflate(input, maxOutput, out output, out error)
            : BZip2Decoder.TryDecompress(input, maxOutput, out output, out error);

    /// <summary>
    /// zlib compression at the default level, as 3.0.6's zlib plugin (<c>compress()</c>). The bytes need not match a
    /// 3.0.6 node's (deflate output depends on the library build); any zlib reader, 3.0.6's included, inflates them.
    /// </summary>
    public static byte[] CompressZlib(ReadOnlySpan<byte> input)
    {
        using var buffer = new MemoryStream();
        using (var zlib = new ZLibStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(input);
        }

        return buffer.ToArray();
    }

    private static bool TryInflate(ReadOnlySpan<byte> input, int maxOutput, out byte[] output, out string error)
    {
        output = [];
        try
        {
            using var source = new MemoryStream(input.ToArray(), writable: false);
            using var zlib = new ZLibStream(source, CompressionMode.Decompress);
            using var result = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = zlib.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (result.Length + read > maxOutput)
                {
                    error = $"decompressed data exceeds {maxOutput} bytes";
                    return false;
                }

                result.Write(chunk, 0, read);
            }

            output = result.ToArray();
            error = string.Empty;
            return true;
        }
        catch (InvalidDataException ex)
        {
            // ZLibStream reports corrupt input only by this exception; it never escapes this method.
            error = $"zlib data is corrupt: {ex.Message}";
            return false;
        }
    }
}
