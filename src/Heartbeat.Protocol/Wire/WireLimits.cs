namespace Heartbeat.Protocol.Wire;

/// <summary>The bounds that keep decoding total: no input can make the decoder do unbounded work or allocate without limit.</summary>
public static class WireLimits
{
    /// <summary>3.0.6's receive buffer and MAXMSG (wire-format.md §9.1): nothing longer is ever a valid datagram.</summary>
    public const int MaxDatagram = 262_144;

    /// <summary>Largest UDP payload that can be sent at all (§9.1); larger messages fail with EMSGSIZE on 3.0.6.</summary>
    public const int MaxUdpPayload = 65_507;

    /// <summary>3.0.6's MAXUNCOMPRESSED: the decompression buffer, and so the cap against decompression bombs.</summary>
    public const int MaxUncompressed = 2 * 1024 * 1024;

    /// <summary>Nesting depth for type 2/5 fields. Classic text uses one separator byte per level (0x14, 0x15, …), so a deep tree cannot even be written classic.</summary>
    public const int MaxNestingDepth = 8;

    /// <summary>Fields in one message, counted over all nesting levels.</summary>
    public const int MaxFields = 65_536;
}
