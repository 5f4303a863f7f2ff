namespace Heartbeat.Chaos.Tests;

public sealed class EvidenceParsersTests
{
    private static readonly Dictionary<string, string> Nodes = new(StringComparer.Ordinal)
    {
        ["10.10.10.2"] = "server1",
        ["10.10.20.2"] = "server1",
        ["10.10.10.3"] = "server2",
    };

    [Fact]
    public void A_monitor_line_gives_the_address_its_node_and_whether_it_came_or_went()
    {
        var added = EvidenceParsers.MonitorLine("server1", "[2026-12-07T17:40:01.250000] 2: ens18    inet 10.10.10.51/24 scope global secondary ens18");
        var deleted = EvidenceParsers.MonitorLine("server1", "[2026-12-07T17:40:02.000000] Deleted 2: ens18    inet 10.10.10.51/24 scope global secondary ens18");

        Assert.Equal(new AddressChange(EvidenceParsers.Epoch(new DateTimeOffset(2026, 12, 7, 17, 40, 1, 250, TimeSpan.Zero)), "server1", "10.10.10.51", true), added);
        Assert.False(deleted!.Added);
        Assert.Null(EvidenceParsers.MonitorLine("server1", "[2026-12-07T17:40:02.000000] 2: ens18    inet6 fe80::1/64 scope link"));
    }

    [Fact]
    public void A_capture_line_names_the_sender_by_either_medium_and_skips_own_and_strangers()
    {
        var received = EvidenceParsers.CaptureLine("server2", "1765128000.123456 ens19 B   IP 10.10.20.2.694 > 10.10.20.255.694: UDP, length 180", Nodes);

        Assert.Equal(new Reception(1765128000.123456, "server2", "server1"), received);
        Assert.Null(EvidenceParsers.CaptureLine("server2", "1765128000.2 ens18 Out IP 10.10.10.3.694 > 10.10.10.255.694: UDP, length 180", Nodes));
        Assert.Null(EvidenceParsers.CaptureLine("server2", "1765128000.3 ens18 B   IP 10.10.10.99.694 > 10.10.10.255.694: UDP, length 180", Nodes));
    }

    [Fact]
    public void Capture_lines_with_payload_give_each_peer_datagram_its_message_fields()
    {
        string[] lines =
        [
            "1765128000.100000 ens18 B   IP 10.10.10.3.694 > 10.10.10.255.694: UDP, length 120",
            "E..[..@.@.<..............G.Z>>>",
            "t=ask_resources",
            "rsc_hold=foreign",
            "info=done",
            "src=server2",
            "<<<",
            string.Empty,
            "1765128000.200000 ens18 Out IP 10.10.10.2.694 > 10.10.10.255.694: UDP, length 40",
            "E..7..@.@.=..............#.6>>>",
            "t=resource",
            "info=mach_down",
            "<<<",
            "1765128000.300000 ens19 B   IP 10.10.20.2.694 > 10.10.20.255.694: UDP, length 40",
            "E..7..@.@.=..............#.6>>>",
            "t=status",
            "st=active",
            "<<<",
            "1765128000.400000 ens18 B   IP 10.10.10.3.694 > 10.10.10.255.694: UDP, length 900",
            "E..........x.compressed",
        ];

        var receptions = EvidenceParsers.CaptureLines("server1", lines, Nodes);

        Assert.Equal(
            [
                new Reception(1765128000.1, "server1", "server2", new HbMessage("ask_resources", "foreign", "done")),
                new Reception(1765128000.4, "server1", "server2"),
            ],
            receptions);
        Assert.Equal(
            [new Reception(1765128000.3, "server2", "server1", new HbMessage("status"))],
            EvidenceParsers.CaptureLines("server2", lines, Nodes));
    }

    [Fact]
    public void Netstring_datagrams_as_3_0_6_and_ours_send_them_give_their_fields()
    {
        // tcpdump -A of a real 3.0.6 capture (../shared/captures): the binary uuid and auth bytes break lines, and a
        // value may hold a comma (LEN says where it ends).
        string[] lines =
        [
            "1795509863.622811 ens18 B   IP 10.10.10.3.53471 > 10.10.10.255.694: UDP, length 299",
            "E..G:.@.@...",
            string.Empty,
            "......3*Y###",
            "18:(0)t=ask_resources,15:(0)rsc_hold=all,15:(0)info=me, too,14:(0)src=server2,27:(1)srcuuid=..)D1mM..0.>.um.,8:(0)ttl=3,%%%",
            "1795509863.622900 ens18 B   IP 10.10.10.3.53471 > 10.10.10.255.694: UDP, length 299",
            "E..G:.@.@...",
            "......3*Y###",
            "11:(0)t=status,12:(0)st=active,27:(1)srcuuid=..)D1",
            "mM..0.>.um.,10:(0)seq=15e,%%%",
        ];

        Assert.Equal(
            [
                new Reception(1795509863.622811, "server1", "server2", new HbMessage("ask_resources", "all", "me, too")),
                new Reception(1795509863.6229, "server1", "server2", new HbMessage("status")),
            ],
            EvidenceParsers.CaptureLines("server1", lines, Nodes));
    }

    [Fact]
    public void An_evidence_dump_reads_back_with_and_without_its_run_file()
    {
        string[] addresses = ["1000.000000 server1 add 10.10.10.51", "1010.000000 server2 add 10.10.10.51", "bad line"];
        string[] receptions = ["1000.500000 server1<-server2 t=status", "1001.000000 server2<-server1 t=ask_resources rsc_hold=foreign info=done", "1001.200000 server2<-server1"];
        string[] pids = ["999.000000 server1 4242", "999.100000 server2 -"];
        string[] script = ["1000.100000 server1 started"];
        string[] faults = ["#1 Kill server2 begin 1002.000 heal 1004.000 settled 1015.000: SIGKILL to 1: down"];

        var evidence = EvidenceLoad.Parse(["start 998.000000 end 1020.000000 nodes server1,server2 vips 10.10.10.51,10.10.10.52"], addresses, receptions, pids, script, faults);
        var derived = EvidenceLoad.Parse([], addresses, receptions, pids, script, faults);

        Assert.Equal((998.0, 1020.0), (evidence.Start, evidence.End));
        Assert.Equal(["10.10.10.51", "10.10.10.52"], evidence.Vips);
        Assert.Equal(2, evidence.Addresses.Count);
        Assert.Equal(new Reception(1001, "server2", "server1", new HbMessage("ask_resources", "foreign", "done")), evidence.Receptions[1]);
        Assert.Null(evidence.Receptions[2].Message);
        Assert.Equal([new PidSample(999, "server1", 4242), new PidSample(999.1, "server2", null)], evidence.Pids);
        Assert.Equal(new AppliedFault(1, FaultKind.Kill, "server2", 1002, 1004, 1015, "SIGKILL to 1: down"), Assert.Single(evidence.Faults));
        Assert.Equal((999.0, 1015.0), (derived.Start, derived.End));
        Assert.Equal(["server1", "server2"], derived.Nodes);
        Assert.Equal(["10.10.10.51"], derived.Vips);
    }

    [Fact]
    public void A_script_line_is_time_node_action()
    {
        Assert.Equal(new ScriptCall(1765128000.5, "server1", "started"), EvidenceParsers.ScriptLine("1765128000.500000000 server1 started"));
        Assert.Null(EvidenceParsers.ScriptLine("garbage"));
    }
}
