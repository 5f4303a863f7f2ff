using System.Collections.Immutable;

namespace Heartbeat.Protocol.Auth;

/// <summary>The methods of authkeys (wire-format.md §4.2).</summary>
public enum AuthMethod
{
    Crc,
    Md5,
    Sha1,
}

/// <summary>One authkeys line: index 0–15, method, and the key's bytes exactly as written (never hex-decoded).</summary>
public sealed record AuthKey(int Index, AuthMethod Method, ImmutableArray<byte> Secret)
{
    public static string MethodName(AuthMethod method) => method switch
    {
        AuthMethod.Crc => "crc",
        AuthMethod.Md5 => "md5",
        _ => "sha1",
    };

    private PreparedHmac? _prepared;

    /// <summary>
    /// The key made ready for HMAC (md5 and sha1 only), prepared at first use and kept: the keepalive path signs and
    /// checks every datagram with it. Re-prepared if a copy (<c>with</c>) changed the method or the secret.
    /// </summary>
    internal ManagedDigests.HmacKey Hmac
    {
        get
        {
            var prepared = _prepared;
            if (prepared is null || prepared.Method != Method || prepared.Secret != Secret)
            {
                prepared = new PreparedHmac(Method, Secret, ManagedDigests.HmacKey.For(Method, Secret.AsSpan()));
                _prepared = prepared;
            }

            return prepared.Key;
        }
    }

    /// <summary>Index, method and secret (the same array): the prepared HMAC state is a cache, not part of the key.</summary>
    public bool Equals(AuthKey? other) => other is not null && Index == other.Index && Method == other.Method && Secret == other.Secret;

    public override int GetHashCode() => HashCode.Combine(Index, Method, Secret);

    /// <summary>Never prints the secret.</summary>
    public override string ToString() => $"{Index} {MethodName(Method)}{(Secret.IsEmpty ? string.Empty : " <key>")}";
}

internal sealed record PreparedHmac(AuthMethod Method, ImmutableArray<byte> Secret, ManagedDigests.HmacKey Key);

/// <summary>The parsed authkeys file: every configured key, and the active index that signs outgoing packets.</summary>
public sealed class AuthKeys
{
    public const int MaxIndex = 15;

    public AuthKeys(int activeIndex, IEnumerable<AuthKey> keys)
    {
        Keys = keys.ToImmutableDictionary(k => k.Index);
        if (!Keys.ContainsKey(activeIndex))
        {
            throw new ArgumentException($"Active key index {activeIndex} is not among the keys.", nameof(activeIndex));
        }

        ActiveIndex = activeIndex;
        Active = Keys[activeIndex];
    }

    public int ActiveIndex { get; }

    /// <summary>The key that signs: looked up once, as every datagram sent asks for it (an immutable dictionary walks a tree).</summary>
    public AuthKey Active { get; }

    public ImmutableDictionary<int, AuthKey> Keys { get; }

    /// <summary>Builds keys from a compact spec <c>idx:method[:key],…</c>; the first entry is active. For tools and tests.</summary>
    public static AuthKeys FromSpec(string spec)
    {
        var keys = new List<AuthKey>();
        foreach (string part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] pieces = part.Split(':', 3);
            if (pieces.Length < 2 || !int.TryParse(pieces[0], System.Globalization.CultureInfo.InvariantCulture, out int index) || index is < 0 or > MaxIndex)
            {
                throw new FormatException($"Key spec '{part}' is not idx:method[:key] with idx 0-15.");
            }

            var method = pieces[1] switch
            {
                "crc" => AuthMethod.Crc,
                "md5" => AuthMethod.Md5,
                "sha1" => AuthMethod.Sha1,
                _ => throw new FormatException($"Unknown auth method '{pieces[1]}' in '{part}' (crc, md5 or sha1)."),
            };
            if ((method == AuthMethod.Crc) != (pieces.Length == 2))
            {
                throw new FormatException(method == AuthMethod.Crc ? $"crc takes no key: '{part}'." : $"{pieces[1]} needs a key: '{part}'.");
            }

            keys.Add(new AuthKey(index, method, pieces.Length == 3 ? [.. System.Text.Encoding.Latin1.GetBytes(pieces[2])] : []));
        }

        if (keys.Count == 0)
        {
            throw new FormatException("Empty key spec.");
        }

        return new AuthKeys(keys[0].Index, keys);
    }
}
