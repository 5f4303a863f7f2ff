namespace Heartbeat.Protocol.Wire;

/// <summary>Checks shared by both framings.</summary>
internal static class FieldCodec
{
    public static bool TryParseTypeTag(byte digit, out FieldType type)
    {
        // Only 0-5: any other tag kills a 3.0.6 master control process before authentication.
        if (digit is >= (byte)'0' and <= (byte)'5')
        {
            type = (FieldType)(digit - '0');
            return true;
        }

        type = default;
        return false;
    }

    public static WireError? CheckName(ReadOnlySpan<byte> name, int offset)
    {
        if (name.IsEmpty)
        {
            return new WireError(WireErrorCode.EmptyName, offset, "field name is empty");
        }

        int nul = name.IndexOf((byte)0);
        if (nul >= 0)
        {
            return new WireError(WireErrorCode.BadName, offset + nul, "NUL inside a field name");
        }

        int lf = name.IndexOf((byte)'\n');
        if (lf >= 0)
        {
            // A name with LF could never be written in classic form (one field per line), so the inner digest would be ambiguous.
            return new WireError(WireErrorCode.BadName, offset + lf, "LF inside a field name");
        }

        return null;
    }
}
