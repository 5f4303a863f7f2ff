namespace Heartbeat.Protocol.Wire;

/// <summary>Names of the fields this codebase reads or writes (wire-format.md §5–6).</summary>
public static class WireFields
{
    public const string Type = "t";
    public const string Dest = "dest";
    public const string DestUuid = "destuuid";
    public const string Src = "src";
    public const string SrcUuid = "srcuuid";
    public const string Seq = "seq";
    public const string Generation = "hg";
    public const string Timestamp = "ts";
    public const string Load = "ld";
    public const string Ttl = "ttl";
    public const string Auth = "auth";
    public const string Status = "st";
    public const string DeadTime = "dt";
    public const string Protocol = "protocol";
    public const string CompressedPayload = "_compressed_payload";
    public const string CompressionAlgorithm = "_compression_algorithm";
}
