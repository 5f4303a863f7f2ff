namespace Heartbeat.Protocol.Wire;

/// <summary>The two framings a datagram can have.</summary>
public enum Framing
{
    Netstring,
    Classic,
}

/// <summary>The trailer after <c>%%%\n</c>: <c>len:idx hex,</c> (wire-format.md §4.3b).</summary>
public sealed record WireTrailer(int KeyIndex, string Digest);

/// <summary>How the bytes after <c>%%%\n</c> looked.</summary>
public enum TrailerState
{
    Present,
    Missing,
    Malformed,
}

/// <summary>A decoded datagram, with everything authentication and diagnostics need besides the message.</summary>
public sealed record WireDatagram
{
    public required Framing Framing { get; init; }

    /// <summary>The message as it was on the wire (for a compressed datagram: the two-field wrapper).</summary>
    public required HaMessage Message { get; init; }

    /// <summary>Netstring: the bytes from the first '#' through the LF of <c>%%%\n</c>, the trailer digest's input. Classic: the whole message text.</summary>
    public required ReadOnlyMemory<byte> SignedRegion { get; init; }

    public TrailerState TrailerState { get; init; } = TrailerState.Missing;

    public WireTrailer? Trailer { get; init; }

    /// <summary>Why the trailer could not be read, when <see cref="TrailerState"/> is Malformed.</summary>
    public string? TrailerProblem { get; init; }

    /// <summary>Bytes after the trailer (netstring) or after <c>&lt;&lt;&lt;\n</c> and its optional NUL (classic). 3.0.6 ignores them.</summary>
    public int TrailingBytes { get; init; }

    /// <summary>Classic only: whether a NUL followed <c>&lt;&lt;&lt;\n</c>.</summary>
    public bool ClassicTrailingNul { get; init; }

    /// <summary>For a compressed datagram: the message inside the payload; otherwise null.</summary>
    public HaMessage? Payload { get; init; }

    public Framing? PayloadFraming { get; init; }

    public string? PayloadAlgorithm { get; init; }

    /// <summary>The decompressed bytes of the payload, kept so tools can show and re-check them.</summary>
    public ReadOnlyMemory<byte> PayloadBytes { get; init; }

    /// <summary>The message to act on: the payload of a compressed datagram, otherwise the message itself.</summary>
    public HaMessage Effective => Payload ?? Message;

    public bool IsCompressed => Payload is not null;
}
