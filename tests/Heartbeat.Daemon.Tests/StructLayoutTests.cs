using System.Diagnostics;
using System.Runtime.InteropServices;
using Heartbeat.Daemon.Interop;

namespace Heartbeat.Daemon.Tests;

/// <summary>
/// Every kernel struct the daemon passes to a system call, checked against the C headers: a small C program prints
/// sizeof and offsetof, compiled here with the machine's gcc, and the managed layout must match field by field.
/// </summary>
public sealed class StructLayoutTests
{
    private const string Program = """
        #define _GNU_SOURCE
        #include <stddef.h>
        #include <stdio.h>
        #include <sys/time.h>
        #include <sched.h>
        #include <poll.h>
        #include <netinet/in.h>
        #include <linux/netlink.h>
        #include <linux/rtnetlink.h>
        #include <linux/if_addr.h>
        #include <linux/if_packet.h>
        #include <netinet/if_ether.h>
        #include <linux/filter.h>
        #include <linux/watchdog.h>
        #include <fcntl.h>
        #include <errno.h>
        #include <sys/socket.h>
        #include <sys/uio.h>
        #define S(t) printf(#t " size %zu\n", sizeof(struct t));
        #define F(t, f) printf(#t "." #f " %zu\n", offsetof(struct t, f));
        int main(void) {
          S(timeval) F(timeval, tv_sec) F(timeval, tv_usec)
          S(sched_param) F(sched_param, sched_priority)
          S(pollfd) F(pollfd, fd) F(pollfd, events) F(pollfd, revents)
          S(sockaddr_nl) F(sockaddr_nl, nl_family) F(sockaddr_nl, nl_pid) F(sockaddr_nl, nl_groups)
          S(sockaddr_in) F(sockaddr_in, sin_family) F(sockaddr_in, sin_port) F(sockaddr_in, sin_addr) F(sockaddr_in, sin_zero)
          S(sockaddr_in6) F(sockaddr_in6, sin6_family) F(sockaddr_in6, sin6_port) F(sockaddr_in6, sin6_flowinfo) F(sockaddr_in6, sin6_addr) F(sockaddr_in6, sin6_scope_id)
          printf("AF_INET6 %d\n", AF_INET6); printf("RTMGRP_IPV6_IFADDR %d\n", RTMGRP_IPV6_IFADDR); printf("IFA_FLAGS %d\n", IFA_FLAGS);
          printf("IFA_F_TENTATIVE %d\n", IFA_F_TENTATIVE); printf("IFA_F_DADFAILED %d\n", IFA_F_DADFAILED); printf("RTA_GATEWAY %d\n", RTA_GATEWAY);
          S(sockaddr_ll) F(sockaddr_ll, sll_family) F(sockaddr_ll, sll_protocol) F(sockaddr_ll, sll_ifindex)
            F(sockaddr_ll, sll_hatype) F(sockaddr_ll, sll_pkttype) F(sockaddr_ll, sll_halen) F(sockaddr_ll, sll_addr)
          S(iovec) F(iovec, iov_base) F(iovec, iov_len)
          S(msghdr) F(msghdr, msg_name) F(msghdr, msg_namelen) F(msghdr, msg_iov) F(msghdr, msg_iovlen) F(msghdr, msg_control) F(msghdr, msg_controllen) F(msghdr, msg_flags)
          S(mmsghdr) F(mmsghdr, msg_hdr) F(mmsghdr, msg_len)
          S(nlmsghdr) F(nlmsghdr, nlmsg_len) F(nlmsghdr, nlmsg_type) F(nlmsghdr, nlmsg_flags) F(nlmsghdr, nlmsg_seq) F(nlmsghdr, nlmsg_pid)
          S(nlmsgerr) F(nlmsgerr, error) F(nlmsgerr, msg)
          S(ifaddrmsg) F(ifaddrmsg, ifa_family) F(ifaddrmsg, ifa_prefixlen) F(ifaddrmsg, ifa_flags) F(ifaddrmsg, ifa_scope) F(ifaddrmsg, ifa_index)
          S(ifinfomsg) F(ifinfomsg, ifi_family) F(ifinfomsg, ifi_type) F(ifinfomsg, ifi_index) F(ifinfomsg, ifi_flags) F(ifinfomsg, ifi_change)
          S(rtmsg) F(rtmsg, rtm_family) F(rtmsg, rtm_dst_len) F(rtmsg, rtm_table) F(rtmsg, rtm_protocol) F(rtmsg, rtm_scope) F(rtmsg, rtm_type) F(rtmsg, rtm_flags)
          S(rtattr) F(rtattr, rta_len) F(rtattr, rta_type)
          S(ether_arp) F(ether_arp, arp_sha) F(ether_arp, arp_spa) F(ether_arp, arp_tha) F(ether_arp, arp_tpa)
          S(sock_filter) F(sock_filter, code) F(sock_filter, jt) F(sock_filter, jf) F(sock_filter, k)
          S(sock_fprog) F(sock_fprog, len) F(sock_fprog, filter)
          printf("WDIOC_SETTIMEOUT %d\n", (int)WDIOC_SETTIMEOUT); printf("O_WRONLY %d\n", O_WRONLY); printf("O_CLOEXEC %d\n", O_CLOEXEC);
          printf("ENOENT %d\nEINTR %d\nEBADF %d\nEAGAIN %d\nEEXIST %d\nENODEV %d\nEADDRNOTAVAIL %d\nENOBUFS %d\n",
            ENOENT, EINTR, EBADF, EAGAIN, EEXIST, ENODEV, EADDRNOTAVAIL, ENOBUFS);
          return 0;
        }
        """;

    private static readonly Lazy<Dictionary<string, int>> CLayout = new(Compile);

    public static TheoryData<string, int> Managed() => new()
    {
        { "timeval size", Marshal.SizeOf<TimeVal>() },
        { "timeval.tv_sec", Offset<TimeVal>(nameof(TimeVal.Seconds)) },
        { "timeval.tv_usec", Offset<TimeVal>(nameof(TimeVal.Microseconds)) },
        { "pollfd size", Marshal.SizeOf<PollFd>() },
        { "pollfd.fd", Offset<PollFd>(nameof(PollFd.Fd)) },
        { "pollfd.events", Offset<PollFd>(nameof(PollFd.Events)) },
        { "pollfd.revents", Offset<PollFd>(nameof(PollFd.ReturnedEvents)) },
        { "sched_param size", Marshal.SizeOf<SchedParam>() },
        { "sched_param.sched_priority", Offset<SchedParam>(nameof(SchedParam.Priority)) },
        { "sockaddr_nl size", Marshal.SizeOf<SockAddrNl>() },
        { "sockaddr_nl.nl_family", Offset<SockAddrNl>(nameof(SockAddrNl.Family)) },
        { "sockaddr_nl.nl_pid", Offset<SockAddrNl>(nameof(SockAddrNl.Pid)) },
        { "sockaddr_nl.nl_groups", Offset<SockAddrNl>(nameof(SockAddrNl.Groups)) },
        { "sockaddr_in size", Marshal.SizeOf<SockAddrIn>() },
        { "sockaddr_in.sin_family", Offset<SockAddrIn>(nameof(SockAddrIn.Family)) },
        { "sockaddr_in.sin_port", Offset<SockAddrIn>(nameof(SockAddrIn.Port)) },
        { "sockaddr_in.sin_addr", Offset<SockAddrIn>(nameof(SockAddrIn.Address)) },
        { "sockaddr_in.sin_zero", Offset<SockAddrIn>(nameof(SockAddrIn.Zero)) },
        { "sockaddr_in6 size", Marshal.SizeOf<SockAddrIn6>() },
        { "sockaddr_in6.sin6_family", Offset<SockAddrIn6>(nameof(SockAddrIn6.Family)) },
        { "sockaddr_in6.sin6_port", Offset<SockAddrIn6>(nameof(SockAddrIn6.Port)) },
        { "sockaddr_in6.sin6_flowinfo", Offset<SockAddrIn6>(nameof(SockAddrIn6.FlowInfo)) },
        { "sockaddr_in6.sin6_addr", Offset<SockAddrIn6>(nameof(SockAddrIn6.Address)) },
        { "sockaddr_in6.sin6_scope_id", Offset<SockAddrIn6>(nameof(SockAddrIn6.ScopeId)) },
        { "AF_INET6", SockAddrIn6.Inet6 },
        { "RTMGRP_IPV6_IFADDR", (int)Heartbeat.Daemon.Net.AddressEvents.RtmgrpIpv6Ifaddr },
        { "IFA_FLAGS", Heartbeat.Daemon.Net.NetlinkMessages.IfaFlags },
        { "IFA_F_TENTATIVE", (int)Heartbeat.Daemon.Net.InterfaceAddress.TentativeFlag },
        { "IFA_F_DADFAILED", (int)Heartbeat.Daemon.Net.InterfaceAddress.DadFailedFlag },
        { "RTA_GATEWAY", Heartbeat.Daemon.Net.NetlinkMessages.RtaGateway },
        { "WDIOC_SETTIMEOUT", unchecked((int)WatchdogTimeoutCall.SetTimeout) },
        { "O_WRONLY", OpenCall.WriteOnly },
        { "O_CLOEXEC", OpenCall.CloseOnExec },
        { "ENOENT", Errno.Enoent },
        { "EINTR", Errno.Eintr },
        { "EBADF", Errno.Ebadf },
        { "EAGAIN", Errno.Eagain },
        { "EEXIST", Errno.Eexist },
        { "ENODEV", Errno.Enodev },
        { "EADDRNOTAVAIL", Errno.Eaddrnotavail },
        { "ENOBUFS", Errno.Enobufs },
        { "sockaddr_ll size", Marshal.SizeOf<SockAddrLl>() },
        { "iovec size", Marshal.SizeOf<IoVec>() },
        { "iovec.iov_base", Offset<IoVec>(nameof(IoVec.Base)) },
        { "iovec.iov_len", Offset<IoVec>(nameof(IoVec.Length)) },
        { "msghdr size", Marshal.SizeOf<MsgHdr>() },
        { "msghdr.msg_name", Offset<MsgHdr>(nameof(MsgHdr.Name)) },
        { "msghdr.msg_namelen", Offset<MsgHdr>(nameof(MsgHdr.NameLength)) },
        { "msghdr.msg_iov", Offset<MsgHdr>(nameof(MsgHdr.Iov)) },
        { "msghdr.msg_iovlen", Offset<MsgHdr>(nameof(MsgHdr.IovLength)) },
        { "msghdr.msg_control", Offset<MsgHdr>(nameof(MsgHdr.Control)) },
        { "msghdr.msg_controllen", Offset<MsgHdr>(nameof(MsgHdr.ControlLength)) },
        { "msghdr.msg_flags", Offset<MsgHdr>(nameof(MsgHdr.Flags)) },
        { "mmsghdr size", Marshal.SizeOf<MMsgHdr>() },
        { "mmsghdr.msg_hdr", Offset<MMsgHdr>(nameof(MMsgHdr.Header)) },
        { "mmsghdr.msg_len", Offset<MMsgHdr>(nameof(MMsgHdr.Length)) },
        { "sockaddr_ll.sll_family", Offset<SockAddrLl>(nameof(SockAddrLl.Family)) },
        { "sockaddr_ll.sll_protocol", Offset<SockAddrLl>(nameof(SockAddrLl.Protocol)) },
        { "sockaddr_ll.sll_ifindex", Offset<SockAddrLl>(nameof(SockAddrLl.IfIndex)) },
        { "sockaddr_ll.sll_hatype", Offset<SockAddrLl>(nameof(SockAddrLl.HaType)) },
        { "sockaddr_ll.sll_pkttype", Offset<SockAddrLl>(nameof(SockAddrLl.PktType)) },
        { "sockaddr_ll.sll_halen", Offset<SockAddrLl>(nameof(SockAddrLl.HaLen)) },
        { "sockaddr_ll.sll_addr", Offset<SockAddrLl>(nameof(SockAddrLl.Addr)) },
        { "nlmsghdr size", Marshal.SizeOf<NlMsgHdr>() },
        { "nlmsghdr.nlmsg_len", Offset<NlMsgHdr>(nameof(NlMsgHdr.Length)) },
        { "nlmsghdr.nlmsg_type", Offset<NlMsgHdr>(nameof(NlMsgHdr.Type)) },
        { "nlmsghdr.nlmsg_flags", Offset<NlMsgHdr>(nameof(NlMsgHdr.Flags)) },
        { "nlmsghdr.nlmsg_seq", Offset<NlMsgHdr>(nameof(NlMsgHdr.Sequence)) },
        { "nlmsghdr.nlmsg_pid", Offset<NlMsgHdr>(nameof(NlMsgHdr.Pid)) },
        { "nlmsgerr size", Marshal.SizeOf<NlMsgErr>() },
        { "nlmsgerr.error", Offset<NlMsgErr>(nameof(NlMsgErr.Error)) },
        { "nlmsgerr.msg", Offset<NlMsgErr>(nameof(NlMsgErr.Request)) },
        { "ifaddrmsg size", Marshal.SizeOf<IfAddrMsg>() },
        { "ifaddrmsg.ifa_family", Offset<IfAddrMsg>(nameof(IfAddrMsg.Family)) },
        { "ifaddrmsg.ifa_prefixlen", Offset<IfAddrMsg>(nameof(IfAddrMsg.PrefixLength)) },
        { "ifaddrmsg.ifa_flags", Offset<IfAddrMsg>(nameof(IfAddrMsg.Flags)) },
        { "ifaddrmsg.ifa_scope", Offset<IfAddrMsg>(nameof(IfAddrMsg.Scope)) },
        { "ifaddrmsg.ifa_index", Offset<IfAddrMsg>(nameof(IfAddrMsg.Index)) },
        { "ifinfomsg size", Marshal.SizeOf<IfInfoMsg>() },
        { "ifinfomsg.ifi_family", Offset<IfInfoMsg>(nameof(IfInfoMsg.Family)) },
        { "ifinfomsg.ifi_type", Offset<IfInfoMsg>(nameof(IfInfoMsg.Type)) },
        { "ifinfomsg.ifi_index", Offset<IfInfoMsg>(nameof(IfInfoMsg.Index)) },
        { "ifinfomsg.ifi_flags", Offset<IfInfoMsg>(nameof(IfInfoMsg.Flags)) },
        { "ifinfomsg.ifi_change", Offset<IfInfoMsg>(nameof(IfInfoMsg.Change)) },
        { "rtmsg size", Marshal.SizeOf<RtMsg>() },
        { "rtmsg.rtm_family", Offset<RtMsg>(nameof(RtMsg.Family)) },
        { "rtmsg.rtm_dst_len", Offset<RtMsg>(nameof(RtMsg.DestinationLength)) },
        { "rtmsg.rtm_table", Offset<RtMsg>(nameof(RtMsg.Table)) },
        { "rtmsg.rtm_protocol", Offset<RtMsg>(nameof(RtMsg.Protocol)) },
        { "rtmsg.rtm_scope", Offset<RtMsg>(nameof(RtMsg.Scope)) },
        { "rtmsg.rtm_type", Offset<RtMsg>(nameof(RtMsg.Type)) },
        { "rtmsg.rtm_flags", Offset<RtMsg>(nameof(RtMsg.Flags)) },
        { "rtattr size", Marshal.SizeOf<RtAttr>() },
        { "rtattr.rta_len", Offset<RtAttr>(nameof(RtAttr.Length)) },
        { "rtattr.rta_type", Offset<RtAttr>(nameof(RtAttr.Type)) },
        { "ether_arp size", Marshal.SizeOf<EtherArp>() },
        { "ether_arp.arp_sha", Offset<EtherArp>(nameof(EtherArp.SenderHardware)) },
        { "ether_arp.arp_spa", Offset<EtherArp>(nameof(EtherArp.SenderProtocol)) },
        { "ether_arp.arp_tha", Offset<EtherArp>(nameof(EtherArp.TargetHardware)) },
        { "ether_arp.arp_tpa", Offset<EtherArp>(nameof(EtherArp.TargetProtocol)) },
        { "sock_filter size", Marshal.SizeOf<SockFilter>() },
        { "sock_filter.code", Offset<SockFilter>(nameof(SockFilter.Code)) },
        { "sock_filter.jt", Offset<SockFilter>(nameof(SockFilter.JumpIfTrue)) },
        { "sock_filter.jf", Offset<SockFilter>(nameof(SockFilter.JumpIfFalse)) },
        { "sock_filter.k", Offset<SockFilter>(nameof(SockFilter.Operand)) },
        { "sock_fprog size", Marshal.SizeOf<SockFprog>() },
        { "sock_fprog.len", Offset<SockFprog>(nameof(SockFprog.Length)) },
        { "sock_fprog.filter", Offset<SockFprog>(nameof(SockFprog.Filter)) },
    };

    [Theory]
    [MemberData(nameof(Managed))]
    public void Managed_layout_matches_the_C_header(string what, int managed)
    {
        Assert.True(CLayout.Value.TryGetValue(what, out int c), $"the C program printed no '{what}'");
        Assert.Equal(c, managed);
    }

    [Fact]
    public void Sockaddr_in_holds_the_port_and_address_in_network_byte_order()
    {
        var address = SockAddrIn.From(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("10.1.2.3"), 694));
        byte[] bytes = MemoryMarshal.AsBytes(new ReadOnlySpan<SockAddrIn>(in address)).ToArray();
        Assert.Equal(new byte[] { 2, 0, 0x02, 0xB6, 10, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0 }, bytes);
    }

    private static int Offset<T>(string field) => (int)Marshal.OffsetOf<T>(field);

    private static Dictionary<string, int> Compile()
    {
        string dir = Directory.CreateTempSubdirectory("hbnet-layout-").FullName;
        try
        {
            string source = Path.Join(dir, "layout.c");
            string binary = Path.Join(dir, "layout");
            File.WriteAllText(source, Program);
            Run("gcc", "-O0", "-o", binary, source);
            return Run(binary).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(' '))
                .ToDictionary(p => p.Length == 3 ? $"{p[0]} {p[1]}" : p[0], p => int.Parse(p[^1], System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), $"{file} hung");
        Assert.True(process.ExitCode == 0, $"{file} failed: {error}");
        return output;
    }
}
