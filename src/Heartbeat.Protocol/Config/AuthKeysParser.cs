using System.Globalization;
using System.Text;
using Heartbeat.Protocol.Auth;

namespace Heartbeat.Protocol.Config;

/// <summary>
/// Reads authkeys (config-reference.md §3): <c>auth N</c>, then <c>N crc | md5 KEY | sha1 KEY</c> lines; '#' comments
/// only as the first non-blank character (a '#' inside a key is part of it).
/// </summary>
public static class AuthKeysParser
{
    /// <param name="content">The file's bytes.</param>
    /// <param name="path">For diagnostics.</param>
    /// <param name="mode">The file's permission bits when known; 3.0.6 refuses a file readable by group or others.</param>
    /// <param name="deployed">
    /// True when this is the file a node on this machine runs with: a readable file is then an error, as on 3.0.6.
    /// False for files checked on behalf of another machine (a copy, a git checkout, which keeps no modes): a warning.
    /// </param>
    public static ParseResult<AuthKeys> Parse(ReadOnlySpan<byte> content, string path, UnixFileMode? mode, bool deployed = true)
    {
        var diagnostics = new DiagnosticBag(path);
        if (mode is { } m && (m & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
        {
            // Only the read bits count: 600, 400 and even 622 are accepted by 3.0.6.
            string message = $"Bad permissions on keyfile [{path}], 600 recommended";
            string hint = $"the file is mode {Convert.ToString((int)m, 8)} and readable by group or others; run: chmod 600 {path}";
            if (deployed)
            {
                diagnostics.Error(0, message, hint);
            }
            else
            {
                diagnostics.Warning(0, message, hint + " (a node refuses to start with it like this)");
            }
        }

        int? activeIndex = null;
        int authLine = 0;
        var keys = new Dictionary<int, (AuthKey Key, int Line)>();
        foreach (var line in ConfigLines.Split(content))
        {
            string text = line.Text.Trim(' ', '\t');
            if (text.Length == 0 || text[0] == '#')
            {
                continue;
            }

            string[] words = text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (words[0] == "auth")
            {
                if (words.Length < 2 || !TryIndex(words[1], out int index))
                {
                    diagnostics.Error(line.Number, $"Invalid authnum [{(words.Length < 2 ? string.Empty : words[1])}] in 'auth' line", "write 'auth N' with N from 0 to 15");
                    continue;
                }

                if (activeIndex is not null)
                {
                    diagnostics.Warning(line.Number, $"a second 'auth' line (first on line {authLine}); this one wins");
                }

                activeIndex = index;
                authLine = line.Number;
                continue;
            }

            if (!int.TryParse(words[0], NumberStyles.None, CultureInfo.InvariantCulture, out int keyIndex))
            {
                diagnostics.Error(line.Number, $"Auth line [{text}] is invalid", "lines are 'auth N', 'N crc', 'N md5 KEY' or 'N sha1 KEY'; comments start with '#' at the beginning of a line");
                continue;
            }

            if (keyIndex > AuthKeys.MaxIndex)
            {
                diagnostics.Error(line.Number, $"Invalid authnum [{keyIndex}]: key indexes are 0 to 15");
                continue;
            }

            if (words.Length < 2)
            {
                diagnostics.Error(line.Number, $"Auth line [{text}] is invalid: no method after the index", "crc, md5 or sha1");
                continue;
            }

            AuthMethod method;
            switch (words[1])
            {
                case "crc":
                    method = AuthMethod.Crc;
                    break;
                case "md5":
                    method = AuthMethod.Md5;
                    break;
                case "sha1":
                    method = AuthMethod.Sha1;
                    break;
                default:
                    diagnostics.Error(line.Number, $"Invalid authtype [{words[1]}]", "crc, md5 or sha1 (methods are lower-case)");
                    continue;
            }

            if (method == AuthMethod.Crc && words.Length > 2)
            {
                diagnostics.Error(line.Number, "Auth method [crc] doesn't use a key", "remove the key, or use md5/sha1 (crc is a checksum without any secret)");
                continue;
            }

            if (method != AuthMethod.Crc && words.Length < 3)
            {
                diagnostics.Error(line.Number, $"Auth method [{words[1]}] requires a key");
                continue;
            }

            if (words.Length > 3)
            {
                diagnostics.Warning(line.Number, $"only '{words[2]}' is the key; the words after it are ignored", "3.0.6 ends the key at the first blank, so a passphrase with spaces is cut there on every node");
            }

            if (activeIndex is null)
            {
                // 3.0.6 reads key lines only after 'auth' and then fails with "Auth Key [N] not found in keyfile".
                diagnostics.Error(line.Number, $"key {keyIndex} comes before the 'auth' line", "3.0.6 does not see keys above 'auth N' and refuses to start ('Auth Key not found'); move 'auth N' to the top");
                continue;
            }

            if (keys.TryGetValue(keyIndex, out var previous))
            {
                diagnostics.Warning(line.Number, $"key {keyIndex} is defined again (first on line {previous.Line}); this one wins");
            }

            if (method == AuthMethod.Crc)
            {
                diagnostics.Warning(line.Number, $"key {keyIndex} uses crc, which authenticates nothing", $"anyone on the network can forge packets that pass a crc check; use sha1 with a long random key ({MakeARealKey})");
            }
            else if (WeakKeyReason(words[2]) is { } weakness)
            {
                // A warning, not an error: the node still runs with it (the article's cluster, and a 3.0.6 peer signing
                // with it, must keep working), but the admin sees it at every check-config and every start.
                diagnostics.Warning(line.Number, $"WEAK KEY: key {keyIndex} {weakness}; anyone who knows or guesses it can forge this cluster's packets (take its resources, fence its nodes)", MakeARealKey);
            }

            byte[] secret = method == AuthMethod.Crc ? [] : Encoding.Latin1.GetBytes(words[2]);
            keys[keyIndex] = (new AuthKey(keyIndex, method, [.. secret]), line.Number);
        }

        if (activeIndex is null)
        {
            diagnostics.Error(0, "Missing auth directive in keyfile", "the first line should be 'auth 1', naming the key used to sign");
        }
        else if (!keys.ContainsKey(activeIndex.Value))
        {
            diagnostics.Error(authLine, $"Auth Key [{activeIndex}] not found in keyfile", $"add a line '{activeIndex} sha1 SECRET' below 'auth {activeIndex}'");
        }
        else
        {
            var active = keys[activeIndex.Value].Key;
            foreach (var (key, keyLine) in keys.Values.Where(k => k.Key.Index != active.Index && !k.Key.Secret.SequenceEqual(active.Secret)))
            {
                diagnostics.Note(keyLine, $"key {key.Index} differs from the active key {active.Index}", "3.0.6 checks every trailer with the receiver's own active key, so all nodes must sign with the same key string; a node signing with this key is rejected by 3.0.6 peers whose active key is different");
            }
        }

        var result = diagnostics.HasErrors || activeIndex is null ? null : new AuthKeys(activeIndex.Value, keys.Values.Select(k => k.Key));
        return new ParseResult<AuthKeys>(result, diagnostics.Items);
    }

    /// <summary>Below this length a key is reported as weak (a random sha1 key of hbctl keygen has 40 characters).</summary>
    public const int MinimumKeyLength = 16;

    /// <summary>
    /// Keys printed in the samples people copy: the article HeartbeatNet grew from (and its etc/ha.d sample) uses
    /// <c>securepass</c>. Compared as written: 3.0.6 takes the key byte for byte.
    /// </summary>
    private static readonly string[] PublishedSampleKeys = ["securepass"];

    private const string MakeARealKey = "make a random one with 'hbctl keygen --force /etc/ha.d' and copy that authkeys to every node, mode 600";

    /// <summary>Why a md5/sha1 key is weak (a published sample's key, or too short), or null when it is not.</summary>
    public static string? WeakKeyReason(string key) =>
        PublishedSampleKeys.Contains(key, StringComparer.Ordinal) ? $"is '{key}', the key of a published sample"
        : key.Length < MinimumKeyLength ? $"is only {key.Length} character(s) long (fewer than {MinimumKeyLength})"
        : null;

    private static bool TryIndex(string text, out int index) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out index) && index <= AuthKeys.MaxIndex;
}
