using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Capture;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Ipfail;
using Heartbeat.Protocol.Resources;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Ctl.Commands;

/// <summary>
/// <c>hbctl decode FILE.pcap [--authkeys FILE]</c>: one line per Heartbeat message with both digest verdicts; exit 1
/// if any datagram fails to decode or authenticate. Answers "why does my peer reject my packets?" and, with the meaning
/// of ipfail's messages and of the standby exchange, "why did the group move?".
/// </summary>
public static class DecodeCommand
{
    private static readonly HashSet<string> ShownFirst = [WireFields.Type, WireFields.Src, WireFields.Seq, WireFields.Generation, WireFields.Auth];

    public static Command Create(TextWriter output, TextWriter error)
    {
        var fileArgument = new Argument<FileInfo>("file") { Description = "A libpcap or pcapng capture (tcpdump -w, tshark -w)" };
        var authKeysOption = new Option<FileInfo[]>("--authkeys") { Description = "authkeys file(s) whose keys verify the digests (keys of several files are merged)", AllowMultipleArgumentsPerToken = false };
        var keyOption = new Option<string[]>("--key") { Description = "A key as idx:method[:secret], e.g. 1:md5:securepass (repeatable)" };
        var portOption = new Option<int>("--port") { Description = "UDP port of Heartbeat traffic", DefaultValueFactory = _ => 694 };
        var jsonOption = new Option<bool>("--json") { Description = "One JSON object per line" };
        var command = new Command("decode", "Decode and verify the Heartbeat datagrams of a capture; exit 1 if any fails")
        {
            fileArgument, authKeysOption, keyOption, portOption, jsonOption,
        };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(fileArgument)!;
            Authenticator? authenticator;
            try
            {
                authenticator = LoadKeys(parse.GetValue(authKeysOption) ?? [], parse.GetValue(keyOption) ?? [], error);
            }
            catch (FormatException ex)
            {
                error.WriteLine($"hbctl decode: {ex.Message}");
                return 2;
            }

            if (authenticator is null && ((parse.GetValue(authKeysOption)?.Length ?? 0) > 0))
            {
                return 2;
            }

            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(file.FullName);
            }
            catch (IOException ex)
            {
                error.WriteLine($"hbctl decode: cannot read {file.FullName}: {ex.Message}");
                return 2;
            }

            var capture = CaptureReader.Read(bytes);
            var analyzed = CaptureAnalyzer.Analyze(capture, authenticator, parse.GetValue(portOption));
            bool json = parse.GetValue(jsonOption);
            foreach (var entry in analyzed)
            {
                output.WriteLine(json ? Json(entry) : Text(entry));
            }

            foreach (var problem in capture.Problems)
            {
                error.WriteLine($"{file.Name}: packet #{problem.Frame}: {problem.Message}");
            }

            int bad = analyzed.Count(a => !a.IsGood);
            if (!json)
            {
                output.WriteLine($"{file.Name}: {analyzed.Count} Heartbeat datagram(s) in {capture.PacketCount} packet(s): {analyzed.Count - bad} good, {bad} bad{(authenticator is null ? " (digests not checked: give --authkeys or --key)" : string.Empty)}");
                foreach (var entry in analyzed.Where(a => !a.IsGood))
                {
                    output.WriteLine($"  bad packet #{entry.Datagram.Frame}: {Reason(entry)}");
                }
            }

            return bad > 0 || capture.Problems.Count > 0 ? 1 : 0;
        });
        return command;
    }

    private static Authenticator? LoadKeys(FileInfo[] files, string[] specs, TextWriter error)
    {
        var keys = new Dictionary<int, AuthKey>();
        int? active = null;
        foreach (var file in files)
        {
            byte[] content;
            try
            {
                content = File.ReadAllBytes(file.FullName);
            }
            catch (IOException ex)
            {
                error.WriteLine($"hbctl decode: cannot read {file.FullName}: {ex.Message}");
                return null;
            }

            // The permission check is for a node's own keyfile; a copy handed to a tool may be readable.
            var parsed = AuthKeysParser.Parse(content, file.FullName, mode: null);
            if (parsed.Value is null)
            {
                foreach (var d in parsed.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error))
                {
                    error.WriteLine(d.ToString());
                }

                return null;
            }

            active ??= parsed.Value.ActiveIndex;
            foreach (var key in parsed.Value.Keys.Values)
            {
                keys[key.Index] = key;
            }
        }

        foreach (string spec in specs)
        {
            var fromSpec = AuthKeys.FromSpec(spec);
            active ??= fromSpec.ActiveIndex;
            foreach (var key in fromSpec.Keys.Values)
            {
                keys[key.Index] = key;
            }
        }

        return active is null ? null : new Authenticator(new AuthKeys(active.Value, keys.Values));
    }

    private static string Reason(AnalyzedDatagram entry)
    {
        if (entry.DecodeError is { } e)
        {
            return $"does not decode: {e}";
        }

        var verdict = entry.Receiver!.Value;
        string what = entry.Decoded!.Framing == Framing.Netstring ? "trailer" : "auth field";
        if (verdict.IsValid)
        {
            // The trailer is fine, so a 3.0.6 receiver accepts the packet, but the sender's auth field is wrong.
            verdict = entry.Inner!.Value;
            what = "auth field (not checked by 3.0.6 receivers of netstring packets)";
        }

        return verdict.Status switch
        {
            AuthStatus.Missing => $"{what} missing",
            AuthStatus.Malformed => $"{what} malformed{(entry.Decoded.TrailerProblem is { } p ? ": " + p : string.Empty)}",
            AuthStatus.UnknownIndex => $"{what} names key index {verdict.KeyIndex}, which the given keys do not have",
            _ => $"{what} digest mismatch with key {verdict.KeyIndex}: sent {verdict.Sent}, expected {verdict.Computed}" +
                 (string.Equals(verdict.Sent, verdict.Computed, StringComparison.OrdinalIgnoreCase) ? " (differs only in letter case; 3.0.6 compares case-sensitively)" : " (wrong key, or the packet was altered)"),
        };
    }

    private static string Text(AnalyzedDatagram entry)
    {
        var d = entry.Datagram;
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"#{d.Frame} {d.Timestamp.UtcDateTime:HH:mm:ss.ffffff} {d.Source}:{d.SourcePort} > {d.Destination}:{d.DestinationPort} ");
        if (entry.Decoded is not { } wire)
        {
            line.Append(CultureInfo.InvariantCulture, $"UNDECODABLE {entry.DecodeError} ({d.Payload.Length} bytes)");
            return line.ToString();
        }

        if (wire.IsCompressed)
        {
            line.Append(CultureInfo.InvariantCulture, $"[compressed {wire.PayloadAlgorithm} {wire.Message.Find(WireFields.CompressedPayload)!.Bytes.Length}B -> {wire.PayloadBytes.Length}B {wire.PayloadFraming}] ");
        }
        else if (wire.Framing == Framing.Classic)
        {
            line.Append("[classic] ");
        }

        var m = wire.Effective;
        line.Append(CultureInfo.InvariantCulture, $"t={m.Type ?? "?"} src={m.GetString(WireFields.Src) ?? "?"}");
        if (m.GetString(WireFields.Seq) is { } seq)
        {
            line.Append(CultureInfo.InvariantCulture, $" seq={seq}");
        }

        line.Append(CultureInfo.InvariantCulture, $" hg={m.GetString(WireFields.Generation) ?? "?"}");
        if (Meaning(m) is { } meaning)
        {
            line.Append(CultureInfo.InvariantCulture, $" [{meaning}]");
        }

        foreach (var field in m.Fields.Where(f => !ShownFirst.Contains(f.Name)))
        {
            line.Append(' ').Append(Abbreviate(field));
        }

        if (entry.Receiver is null)
        {
            line.Append(" | digests unchecked");
        }
        else
        {
            line.Append(CultureInfo.InvariantCulture, $" | trailer={(entry.Trailer?.ToString() ?? "n/a")} auth={entry.Inner}");
            if (entry.Trailer is { IsValid: true } && entry.Heartbeat306 is { IsValid: false })
            {
                line.Append(" (a 3.0.6 receiver whose active key differs rejects this: it checks trailers with its own active key)");
            }
        }

        return line.ToString();
    }

    /// <summary>What the message means to an admin, where decode knows: ipfail's messages and the standby exchange.</summary>
    private static string? Meaning(HaMessage message) => IpfailMessages.Describe(message) ?? StandbyMessages.Describe(message);

    private static string Abbreviate(HaField field)
    {
        string text = field.Name == WireFields.SrcUuid || field.Name == WireFields.DestUuid
            ? $"{field.Name}={FormatUuid(field)}"
            : field.ToString();
        return text.Length > 60 ? text[..57] + "..." : text;
    }

    private static string FormatUuid(HaField field) =>
        field.Type == FieldType.Binary && field.Bytes.Length == 16
            ? new Guid(field.Bytes, bigEndian: true).ToString()
            : field.ToString();

    private static string Json(AnalyzedDatagram entry)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            var d = entry.Datagram;
            json.WriteStartObject();
            json.WriteNumber("frame", d.Frame);
            json.WriteString("time", d.Timestamp);
            json.WriteString("source", $"{d.Source}:{d.SourcePort}");
            json.WriteString("destination", $"{d.Destination}:{d.DestinationPort}");
            json.WriteNumber("length", d.Payload.Length);
            json.WriteBoolean("good", entry.IsGood);
            if (entry.DecodeError is { } e)
            {
                json.WriteString("decodeError", e.Code.ToString());
                json.WriteString("decodeErrorDetail", e.ToString());
            }

            if (entry.Decoded is { } wire)
            {
                json.WriteString("framing", wire.Framing.ToString().ToLowerInvariant());
                if (wire.IsCompressed)
                {
                    json.WriteString("compression", wire.PayloadAlgorithm);
                }

                if (Meaning(wire.Effective) is { } meaning)
                {
                    json.WriteString("meaning", meaning);
                }

                json.WriteStartObject("fields");
                foreach (var field in wire.Effective.Fields)
                {
                    WriteField(json, field);
                }

                json.WriteEndObject();
                WriteVerdict(json, "trailer", entry.Trailer);
                WriteVerdict(json, "auth", entry.Inner);
                WriteVerdict(json, "receiver", entry.Receiver);
                WriteVerdict(json, "heartbeat306", entry.Heartbeat306);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteField(Utf8JsonWriter json, HaField field)
    {
        switch (field.Type)
        {
            case FieldType.String:
                json.WriteString(field.Name, field.Text);
                break;
            case FieldType.Binary or FieldType.Compressed:
                json.WriteString(field.Name, field.Name is WireFields.SrcUuid or WireFields.DestUuid ? FormatUuid(field) : Convert.ToBase64String(field.Bytes));
                break;
            case FieldType.List:
                json.WriteStartArray(field.Name);
                foreach (var item in field.Items)
                {
                    json.WriteStringValue(Encoding.Latin1.GetString(item));
                }

                json.WriteEndArray();
                break;
            default:
                json.WriteStartObject(field.Name);
                foreach (var nested in field.Message.Fields)
                {
                    WriteField(json, nested);
                }

                json.WriteEndObject();
                break;
        }
    }

    private static void WriteVerdict(Utf8JsonWriter json, string name, AuthVerdict? verdict)
    {
        if (verdict is not { } v)
        {
            return;
        }

        json.WriteStartObject(name);
        json.WriteString("status", v.Status.ToString().ToLowerInvariant());
        if (v.KeyIndex is int index)
        {
            json.WriteNumber("key", index);
        }

        if (v.Status == AuthStatus.Mismatch)
        {
            json.WriteString("sent", v.Sent);
            json.WriteString("expected", v.Computed);
        }

        json.WriteEndObject();
    }
}
