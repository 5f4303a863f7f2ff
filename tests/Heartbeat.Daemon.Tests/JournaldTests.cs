using System.Buffers.Binary;
using System.Text;
using Heartbeat.Daemon.Logging;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Tests;

public partial class JournaldTests
{
    [Fact]
    public void Fields_are_NAME_value_lines_and_multi_line_values_use_the_binary_form()
    {
        byte[] datagram = new JournaldDatagram().Add("MESSAGE", "one line").Add("HB_REASON", "two\nlines").Add("SKIPPED", null).ToArray();
        byte[] expected =
        [
            .. "MESSAGE=one line\n"u8,
            .. "HB_REASON\n"u8, .. LittleEndian(9), .. "two\nlines"u8, (byte)'\n',
        ];
        Assert.Equal(expected, datagram);
    }

    [Theory]
    [InlineData("Peer", "PEER")]
    [InlineData("firstArp", "FIRST_ARP")]
    [InlineData("NodeDead", "NODE_DEAD")]
    [InlineData("_private", "PRIVATE")]
    [InlineData("9lives", "F9LIVES")]
    [InlineData("a-b c", "A_B_C")]
    public void Names_become_valid_journald_field_names(string name, string field) => Assert.Equal(field, JournaldDatagram.FieldName(name));

    [Fact]
    public void An_event_carries_priority_identifier_facility_node_event_and_every_named_value()
    {
        string path = Path.Join(Path.GetTempPath(), $"hbnet-journal-{Guid.NewGuid():N}.sock");
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        try
        {
            using var provider = new JournaldLoggerProvider("server2", "local0", path);
            var logger = provider.CreateLogger("heartbeat");
            PeerLost(logger, "server1", 1010);
            byte[] buffer = new byte[4096];
            string text = Encoding.UTF8.GetString(buffer, 0, socket.Receive(buffer));
            var fields = text.TrimEnd('\n').Split('\n').Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            Assert.Equal("node server1: is dead (silent for 1010 ms)", fields["MESSAGE"]);
            Assert.Equal("4", fields["PRIORITY"]);
            Assert.Equal("heartbeat", fields["SYSLOG_IDENTIFIER"]);
            Assert.Equal("16", fields["SYSLOG_FACILITY"]);
            Assert.Equal("server2", fields["HB_NODE"]);
            Assert.Equal("peer_lost", fields["HB_EVENT"]);
            Assert.Equal("9111", fields["HB_EVENT_ID"]);
            Assert.Equal("server1", fields["HB_PEER"]);
            Assert.Equal("1010", fields["HB_SILENCE"]);
            Assert.Equal(0, provider.Dropped);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_missing_journal_drops_and_counts_instead_of_throwing()
    {
        using var provider = new JournaldLoggerProvider("server2", null, "/nonexistent/journal.sock");
        PeerLost(provider.CreateLogger("heartbeat"), "server1", 1);
        Assert.Equal(1, provider.Dropped);
        Assert.Null(JournaldLoggerProvider.SyslogFacility("none"));
    }

    private static byte[] LittleEndian(ulong value)
    {
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return bytes;
    }

    [LoggerMessage(EventId = 9111, Level = LogLevel.Warning, Message = "node {Peer}: is dead (silent for {Silence} ms)")]
    private static partial void PeerLost(ILogger logger, string peer, long silence);
}
