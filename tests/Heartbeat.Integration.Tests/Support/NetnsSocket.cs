using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Heartbeat.Integration.Tests.Support;

/// <summary>
/// A socket created inside a named network namespace: setns(2) on a dedicated thread, socket(2) there; the socket
/// keeps its namespace whichever thread uses it later. Lets a test play a forger or a spy inside its own lab.
/// </summary>
internal static partial class NetnsSocket
{
    private const int CloneNewNet = 0x40000000;

    public static Socket CreateUdp(string netns) => Create(netns, SocketType.Dgram, ProtocolType.Udp);

    /// <summary>A TCP socket in the namespace; IPv4 unless <paramref name="family"/> says InterNetworkV6 (the benchmark's IPv6 VIP).</summary>
    public static Socket CreateTcp(string netns, AddressFamily family = AddressFamily.InterNetwork) => Create(netns, SocketType.Stream, ProtocolType.Tcp, family);

    private static Socket Create(string netns, SocketType type, ProtocolType protocol, AddressFamily family = AddressFamily.InterNetwork)
    {
        Socket? socket = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/var/run/netns/{netns}");
                if (SetNs(handle.DangerousGetHandle().ToInt32(), CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"setns({netns}) failed: {Marshal.GetLastPInvokeErrorMessage()}");
                }

                socket = new Socket(family, type, protocol);
            }
            catch (Exception ex)
            {
                error = ex;
            }
        });
        thread.Start();
        thread.Join();
        return socket ?? throw new InvalidOperationException("cannot create a socket in " + netns, error);
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}

/// <summary>
/// A thread that lives in one network namespace and makes sockets there on request: a probe that opens a socket every
/// 10 ms would otherwise start a thread (and a setns) for each.
/// </summary>
internal sealed partial class NetnsSocketFactory : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private readonly System.Collections.Concurrent.BlockingCollection<Action> _work = [];
    private readonly Thread _thread;

    public NetnsSocketFactory(string netns)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _thread = new Thread(() =>
        {
            try
            {
                using (var handle = File.OpenHandle($"/var/run/netns/{netns}"))
                {
                    if (SetNs(handle.DangerousGetHandle().ToInt32(), CloneNewNet) != 0)
                    {
                        throw new InvalidOperationException($"setns({netns}) failed: {Marshal.GetLastPInvokeErrorMessage()}");
                    }
                }

                entered.SetResult();
            }
            catch (Exception ex)
            {
                entered.SetException(ex);
                return;
            }

            foreach (var work in _work.GetConsumingEnumerable())
            {
                work();
            }
        })
        { IsBackground = true, Name = "netns " + netns };
        _thread.Start();
        entered.Task.GetAwaiter().GetResult();
    }

    public Socket CreateTcp(AddressFamily family = AddressFamily.InterNetwork) => Run(() => new Socket(family, SocketType.Stream, ProtocolType.Tcp));

    /// <summary>A NETLINK_ROUTE socket in the namespace, as a raw descriptor (.NET's Socket has no AF_NETLINK).</summary>
    public AddressWatch CreateAddressWatch() => Run(() =>
    {
        // AF_NETLINK (16), SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE (0).
        int fd = AddressWatch.Socket(16, 3 | 0x80000, 0);
        return fd >= 0 ? new AddressWatch(fd) : throw new InvalidOperationException($"socket(AF_NETLINK): {Marshal.GetLastPInvokeErrorMessage()}");
    });

    public void Dispose()
    {
        _work.CompleteAdding();
        _thread.Join(TimeSpan.FromSeconds(5));
    }

    private T Run<T>(Func<T> make)
    {
        var made = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            try
            {
                made.SetResult(make());
            }
            catch (Exception ex)
            {
                made.SetException(ex);
            }
        });
        return made.Task.GetAwaiter().GetResult();
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}

/// <summary>
/// Asks a namespace's kernel for its IPv4 or IPv6 addresses over rtnetlink (RTM_GETADDR dump): no process to start. An
/// IPv6 address counts once usable: not while tentative (DAD running) nor after DAD failed.
/// </summary>
internal sealed partial class AddressWatch(int fd) : IDisposable
{
    private const ushort RtmNewAddr = 20;
    private const ushort RtmGetAddr = 22;
    private const ushort NlmsgDone = 3;
    private const ushort NlmsgError = 2;
    private const ushort IfaAddress = 1;
    private const ushort IfaLocal = 2;
    private const byte IfaFlagDadFailed = 0x08;
    private const byte IfaFlagTentative = 0x40;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private uint _sequence;

    /// <summary>Whether <paramref name="address"/> is configured on any interface of the namespace.</summary>
    public bool Has(System.Net.IPAddress address)
    {
        byte[] target = address.GetAddressBytes();
        bool v6 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;

        // IPv4 names the address in IFA_LOCAL; IPv6 only in IFA_ADDRESS.
        ushort wanted = v6 ? IfaAddress : IfaLocal;
        byte[] request = new byte[24];
        uint sequence = ++_sequence;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(0), 24);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(4), RtmGetAddr);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(6), 0x301); // NLM_F_REQUEST | NLM_F_DUMP
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(8), sequence);
        request[16] = (byte)(v6 ? 10 : 2); // ifa_family = AF_INET6 or AF_INET
        if (Send(fd, request, request.Length, 0) != request.Length)
        {
            throw new InvalidDataException($"netlink send: errno {Marshal.GetLastPInvokeError()}");
        }

        bool found = false;
        while (true)
        {
            int n = Poll(fd) ? (int)Receive(fd, _buffer, _buffer.Length, 0) : -1;
            if (n < 0)
            {
                throw new InvalidDataException("netlink: no answer within 5 s");
            }

            int offset = 0;
            while (offset + 16 <= n)
            {
                var span = _buffer.AsSpan(offset, n - offset);
                int length = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(span);
                ushort type = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(span[4..]);
                uint seq = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(span[8..]);
                if (length < 16 || length > span.Length)
                {
                    throw new InvalidDataException("truncated netlink message");
                }

                if (seq == sequence)
                {
                    if (type is NlmsgDone or NlmsgError)
                    {
                        return found;
                    }

                    if (type == RtmNewAddr)
                    {
                        // struct ifaddrmsg (8 bytes), then rtattrs (len, type, value, padded to 4).
                        int attribute = 16 + 8;
                        bool usable = (span[16 + 2] & (IfaFlagTentative | IfaFlagDadFailed)) == 0;
                        while (attribute + 4 <= length)
                        {
                            int attrLength = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(span[attribute..]);
                            ushort attrType = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(span[(attribute + 2)..]);
                            if (attrLength < 4)
                            {
                                break;
                            }

                            if (attrType == wanted && usable && attrLength == 4 + target.Length && span.Slice(attribute + 4, target.Length).SequenceEqual(target))
                            {
                                found = true;
                            }

                            attribute += (attrLength + 3) & ~3;
                        }
                    }
                }

                offset += (length + 3) & ~3;
            }
        }
    }

    public void Dispose() => Close(fd);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static partial nint Send(int fd, byte[] buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint Receive(int fd, byte[] buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int PollCall(ref PollFd fds, nuint count, int timeout);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    private static bool Poll(int fd)
    {
        var poll = new PollFd { Fd = fd, Events = 1 }; // POLLIN
        return PollCall(ref poll, 1, 5000) > 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }
}
