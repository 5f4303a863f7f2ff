using System.Buffers.Binary;
using Heartbeat.Ctl;
using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Ipfail;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Ctl.Tests;

/// <summary>
/// hbctl decode on a capture of hand-built ipfail messages, one of each kind, as 3.0.6 puts them on the wire (ipfail's
/// own fields, dest from the client library, from_id/to_id/client_gen from heartbeat's API, src/seq/hg from
/// send_cluster_msg): each line names the sender, the message and what it means.
/// </summary>
public sealed class DecodeIpfailTests : IDisposable
{
    private const string Key = "1:md5:IpfailDecodeKey";
    private readonly string _temp = Directory.CreateTempSubdirectory("hbctl-ipfail-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void Decode_names_each_ipfail_message_with_its_sender_and_meaning()
    {
        HaMessage[] messages =
        [
            Stamped(IpfailMessages.JoinNotice("server1"), "server1", 1),
            Stamped(IpfailMessages.AskPingNodes("server1", "server2", 0), "server1", 2),
            Stamped(IpfailMessages.TellYouAreDead("server1"), "server2", 3),
            Stamped(IpfailMessages.TellAbortGiveup("server2", "server1"), "server2", 4),

            // 3.0.6 ipfail's giveup(): hb_standby's request, sent through the API (which stamps from_id).
            Stamped(new HaMessage([HaField.String("t", "ask_resources"), HaField.String("rsc_hold", "all"), HaField.String("src", "server1"), HaField.String("info", "me"),
                HaField.String("from_id", "ipfail"), HaField.String("to_id", "ipfail"), HaField.String("client_gen", "0")]), "server1", 5),

            // The same request from hb_standby (our built-in ipfail's is stamped like 3.0.6's above), and the answers.
            Stamped(new HaMessage([HaField.String("t", "ask_resources"), HaField.String("rsc_hold", "foreign"), HaField.String("info", "me")]), "server2", 6),
            Stamped(new HaMessage([HaField.String("t", "ask_resources"), HaField.String("rsc_hold", "foreign"), HaField.String("info", "other")]), "server1", 7),
            Stamped(new HaMessage([HaField.String("t", "ask_resources"), HaField.String("rsc_hold", "foreign"), HaField.String("info", "done")]), "server2", 8),
        ];
        string pcap = Path.Join(_temp, "ipfail.pcap");
        var authenticator = new Authenticator(AuthKeys.FromSpec(Key));
        File.WriteAllBytes(pcap, RawIpv4Capture([.. messages.Select(m => authenticator.Encode(m, WireOptions.Default))]));

        var output = new StringWriter();
        var error = new StringWriter();
        int exit = Program.BuildRoot(output, error).Parse(["decode", pcap, "--key", Key]).Invoke();
        string text = output.ToString();
        Assert.True(exit == 0, text + error);
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("8 Heartbeat datagram(s) in 8 packet(s): 8 good, 0 bad", lines[^1], StringComparison.Ordinal);
        AssertLine(lines[0], "t=hbapi-clstat src=server1", "[API client ipfail on server1: join (ipfail's join notice: the other ipfail answers with its count)]");
        AssertLine(lines[1], "t=num_ping_nodes src=server1", "[ipfail: server1 sees 0 ping node(s) and asks server2 for its count]");
        AssertLine(lines[2], "t=you_are_dead src=server2", "[ipfail: server2 sees more ping nodes and tells server1 to give up all its groups]");
        AssertLine(lines[3], "t=abort_giveup src=server2", "[ipfail: ping node counts are balanced; server2 tells server1 to abort its delayed giveup]");
        AssertLine(lines[4], "t=ask_resources src=server1", "[ipfail's giveup: standby request: server1 wants to go standby [all]]");
        AssertLine(lines[5], "t=ask_resources src=server2", "[standby request: server2 wants to go standby [foreign]]");
        AssertLine(lines[6], "t=ask_resources src=server1", "[standby: server1 can take the giver's foreign resources]");
        AssertLine(lines[7], "t=ask_resources src=server2", "[standby: server2 is done [foreign] (the giver has released them, or the taker has taken them over)]");

        // --json carries the same meaning per datagram.
        output = new StringWriter();
        Assert.Equal(0, Program.BuildRoot(output, error).Parse(["decode", pcap, "--key", Key, "--json"]).Invoke());
        using var json = System.Text.Json.JsonDocument.Parse(output.ToString().Split('\n')[1]);
        Assert.Equal("ipfail: server1 sees 0 ping node(s) and asks server2 for its count", json.RootElement.GetProperty("meaning").GetString());
    }

    private static void AssertLine(string line, string message, string meaning)
    {
        Assert.Contains(message, line, StringComparison.Ordinal);
        Assert.Contains(meaning, line, StringComparison.Ordinal);
        Assert.Contains("trailer=ok(key 1) auth=ok(key 1)", line, StringComparison.Ordinal);
    }

    /// <summary>What send_cluster_msg adds to every message: the sender, its sequence number and generation.</summary>
    private static HaMessage Stamped(HaMessage message, string src, int seq) =>
        message.Set("src", src).Set("seq", seq.ToString("x", System.Globalization.CultureInfo.InvariantCulture)).Set("hg", "5");

    /// <summary>A libpcap file (link type 101, raw IPv4) of one UDP datagram to port 694 per payload.</summary>
    private static byte[] RawIpv4Capture(byte[][] payloads)
    {
        using var file = new MemoryStream();
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2_C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 65_535);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 101);
        file.Write(header);
        Span<byte> record = stackalloc byte[16];
        for (int i = 0; i < payloads.Length; i++)
        {
            byte[] packet = new byte[28 + payloads[i].Length];
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
            packet[8] = 1;
            packet[9] = 17;
            packet.AsSpan(12, 4).Fill(10);
            packet.AsSpan(16, 4).Fill(10);
            packet[15] = (byte)(i % 2 == 0 ? 2 : 3);
            packet[19] = 255;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), 694);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), 694);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(24), (ushort)(8 + payloads[i].Length));
            payloads[i].CopyTo(packet.AsSpan(28));

            BinaryPrimitives.WriteUInt32LittleEndian(record, 1_765_000_000u + (uint)i);
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)packet.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)packet.Length);
            file.Write(record);
            file.Write(packet);
        }

        return file.ToArray();
    }
}
