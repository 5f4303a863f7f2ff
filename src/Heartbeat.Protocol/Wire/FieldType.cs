namespace Heartbeat.Protocol.Wire;

/// <summary>The type tag written as <c>(n)</c> before a field name (wire-format.md §3).</summary>
/// <remarks>
/// Only tags 0–5 exist. 3.0.6 crashes its master control process on any other tag, before
/// authentication, so the decoder rejects them and no constructor can produce them.
/// </remarks>
public enum FieldType : byte
{
    /// <summary>Text without NUL. Classic text form replaces LF with 0x13.</summary>
    String = 0,

    /// <summary>Raw bytes. Classic text form is standard base64.</summary>
    Binary = 1,

    /// <summary>A nested message. Netstring: a nested block without trailer; classic: nested text, LF replaced by 0x14+depth.</summary>
    Struct = 2,

    /// <summary>A list of non-empty strings, packed as <c>len:item,</c> repeated.</summary>
    List = 3,

    /// <summary>A compressed nested message (Pacemaker clients only); kept as raw bytes.</summary>
    Compressed = 4,

    /// <summary>The in-memory form of <see cref="Compressed"/>; on the wire like <see cref="Struct"/>.</summary>
    Uncompressed = 5,
}
