namespace Heartbeat.Protocol.Wire;

/// <summary>Why a datagram or block could not be decoded. Stable names: they are counters and log fields.</summary>
public enum WireErrorCode
{
    Empty,
    TooLarge,
    UnknownFraming,
    UnexpectedEnd,
    BadLength,
    MissingFieldTerminator,
    MissingTypeTag,
    BadTypeTag,
    MissingEquals,
    EmptyName,
    BadName,
    NulInString,
    BadList,
    EmptyListItem,
    BadBase64,
    NestingTooDeep,
    TooManyFields,
    UnknownCompression,
    DecompressionFailed,
    DecompressedTooLarge,
    BadCompressedPayload,
}

/// <summary>A typed decoding error: what is wrong and at which byte offset of the input it was seen.</summary>
public readonly record struct WireError(WireErrorCode Code, int Offset, string Detail)
{
    public override string ToString() => $"{Code} at byte {Offset}: {Detail}";
}

/// <summary>Either a value or a <see cref="WireError"/>; decoding never throws.</summary>
public readonly struct WireResult<T>
    where T : class
{
    private readonly T? _value;

    private WireResult(T? value, WireError error)
    {
        _value = value;
        Error = error;
    }

    public bool IsOk => _value is not null;

    public T Value => _value ?? throw new InvalidOperationException($"No value: {Error}");

    public WireError Error { get; }

    public static WireResult<T> Ok(T value) => new(value, default);

    public static WireResult<T> Fail(WireErrorCode code, int offset, string detail) => new(null, new WireError(code, offset, detail));

    public static WireResult<T> Fail(WireError error) => new(null, error);

    public static implicit operator WireResult<T>(T value) => Ok(value);
}
