using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using Heartbeat.Machine;

namespace Heartbeat.Ctl.Commands;

/// <summary>
/// <c>hbctl keygen [--force] [DIR]</c>: writes DIR/authkeys (default /etc/ha.d) with one random sha1 key, mode 0600,
/// as corosync-keygen does for corosync. The package ships no key: a key from a sample is known to everyone who read
/// the sample. It refuses to replace an existing file without --force, since every node must have the same key.
/// </summary>
public static class KeygenCommand
{
    /// <summary>160 bits, the size of a sha1 digest: more gains nothing, as HMAC-SHA1 hashes longer keys down to this.</summary>
    public const int KeyBytes = 20;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var directoryArgument = new Argument<string?>("dir")
        {
            Description = $"Config directory (default {ConfigDirectory.Default})",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var forceOption = new Option<bool>("--force") { Description = "Replace an existing authkeys (every node then needs the new file)" };
        var command = new Command("keygen", "Write a random sha1 authkeys (mode 600); copy it to every node")
        {
            directoryArgument, forceOption,
        };
        command.SetAction(parse => Run(parse.GetValue(directoryArgument) ?? ConfigDirectory.Default, parse.GetValue(forceOption), output, error));
        return command;
    }

    /// <summary>The file's text: <c>auth 1</c> and <c>1 sha1</c> with a key of lower-case hex from the system's CSPRNG.</summary>
    public static string AuthKeysText(DateTimeOffset now) =>
        $"# Written by hbctl keygen on {now:yyyy-MM-dd}: the cluster's shared secret. Copy this file to every node\n" +
        "# (/etc/ha.d/authkeys, owner root, mode 600); keep it out of backups and version control others can read.\n" +
        "auth 1\n" +
        $"1 sha1 {Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(KeyBytes))}\n";

    private static int Run(string directory, bool force, TextWriter output, TextWriter error)
    {
        string path = Path.Join(directory, "authkeys");
        if (!Directory.Exists(directory))
        {
            error.WriteLine($"hbctl keygen: {directory} does not exist (create it first: mkdir -p {directory})");
            return 1;
        }

        if (!force && File.Exists(path))
        {
            error.WriteLine($"hbctl keygen: {path} already exists; not replacing it (every node must have the same key: copy this one, or use --force to write a new one and copy that to every node)");
            return 1;
        }

        // Written beside the target with mode 600 from its creation (never readable by others, not even for a moment),
        // then renamed over it: a reader sees the old file or the new one, never half of one.
        string temporary = Path.Join(directory, $".authkeys.{Environment.ProcessId}.tmp");
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(Encoding.ASCII.GetBytes(AuthKeysText(DateTimeOffset.UtcNow)));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: force);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            string reason = !force && File.Exists(path) ? $"{path} already exists; not replacing it (--force writes a new one)" : $"cannot write {path}: {ex.Message}";
            error.WriteLine($"hbctl keygen: {reason}");
            return 1;
        }

        output.WriteLine($"wrote {path}: a random sha1 key, mode 600. Copy it to every node of the cluster (same path, owner root, mode 600), then start or reload heartbeat.");
        return 0;
    }
}
