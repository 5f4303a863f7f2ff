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

    /// <summary>The daemon's path: a [LoggerMessage] through Microsoft.Extensions.Logging, Serilog, the journald sink.</summary>
    private static (Microsoft.Extensions.Logging.ILogger Logger, IDisposable Pipeline) Through(Serilog.Core.ILogEventSink sink)
    {
        var serilog = new Serilog.LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(sink).CreateLogger();
        var factory = new Serilog.Extensions.Logging.SerilogLoggerFactory(serilog, dispose: true);
        return (factory.CreateLogger("heartbeat"), factory);
    }

    [Fact]
    public void An_event_carries_priority_identifier_facility_node_event_and_every_named_value()
    {
        string path = Path.Join(Path.GetTempPath(), $"hbnet-journal-{Guid.NewGuid():N}.sock");
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        try
        {
            using var sink = new JournaldSink("server2", "local0", path);
            var (logger, pipeline) = Through(sink);
            using (pipeline)
            {
                PeerLost(logger, "server1", 1010);
            }

            byte[] buffer = new byte[4096];
            string text = Encoding.UTF8.GetString(buffer, 0, socket.Receive(buffer));
            var fields = text.TrimEnd('\n').Split('\n').Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            Assert.Equal("node server1: is dead (silent for 1010 ms)", fields["MESSAGE"]);
            Assert.Equal("4", fields["PRIORITY"]);
            Assert.Equal("heartbeat", fields["SYSLOG_IDENTIFIER"]);
            Assert.Equal("16", fields["SYSLOG_FACILITY"]);
            Assert.Equal("server2", fields["HB_NODE"]);
            Assert.Equal("heartbeat", fields["HB_CATEGORY"]);
            Assert.Equal("peer_lost", fields["HB_EVENT"]);
            Assert.Equal("9111", fields["HB_EVENT_ID"]);
            Assert.Equal("server1", fields["HB_PEER"]);
            Assert.Equal("1010", fields["HB_SILENCE"]);
            Assert.Equal(0, sink.Dropped);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_missing_journal_drops_and_counts_instead_of_throwing()
    {
        using var sink = new JournaldSink("server2", null, "/nonexistent/journal.sock");
        var (logger, pipeline) = Through(sink);
        using (pipeline)
        {
            PeerLost(logger, "server1", 1);
        }

        Assert.Equal(1, sink.Dropped);
        Assert.Null(JournaldSink.SyslogFacility("none"));
    }

    [Fact]
    public void The_log_file_has_3_0_6s_line_format_and_is_reopened_for_every_entry()
    {
        string directory = Directory.CreateTempSubdirectory("hbnet-halog-").FullName;
        try
        {
            string path = Path.Join(directory, "ha-log");
            var sink = new HaLogFileSink(path, "server2");
            var (logger, pipeline) = Through(sink);
            using (pipeline)
            {
                PeerLost(logger, "server1", 1010);

                // logrotate moves the file away: the next entry starts a new one (3.0.6 opens the file per entry too).
                File.Move(path, path + ".1");
                Started(logger, "server2");
            }

            Assert.Matches($@"^[A-Z][a-z]{{2}} \d\d \d\d:\d\d:\d\d server2 heartbeat: \[{Environment.ProcessId}\]: WARN: node server1: is dead \(silent for 1010 ms\)\n$", File.ReadAllText(path + ".1"));
            Assert.EndsWith("]: info: Starting on server2\n", File.ReadAllText(path), StringComparison.Ordinal);

            var unwritable = new HaLogFileSink(Path.Join(directory, "missing", "ha-log"), "server2");
            var (logger2, pipeline2) = Through(unwritable);
            using (pipeline2)
            {
                Started(logger2, "server2");
            }

            Assert.Equal(1, unwritable.Dropped);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Stderr_lines_keep_the_timestamp_level_category_and_event_id()
    {
        var text = new StringWriter();
        var (logger, pipeline) = Through(new StderrSink(text));
        using (pipeline)
        {
            PeerLost(logger, "server1", 1010);
        }

        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} warn: heartbeat\[9111\] node server1: is dead \(silent for 1010 ms\)\r?\n$", text.ToString());
    }

    private static byte[] LittleEndian(ulong value)
    {
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return bytes;
    }

    [LoggerMessage(EventId = 9111, Level = LogLevel.Warning, Message = "node {Peer}: is dead (silent for {Silence} ms)")]
    private static partial void PeerLost(ILogger logger, string peer, long silence);

    [LoggerMessage(EventId = 9112, Level = LogLevel.Information, Message = "Starting on {Node}")]
    private static partial void Started(ILogger logger, string node);
}
