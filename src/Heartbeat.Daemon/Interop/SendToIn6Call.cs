using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Heartbeat.Daemon.Interop;

/// <summary>struct sockaddr_in6 (netinet/in.h); Port and FlowInfo in network byte order, ScopeId in host order.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SockAddrIn6
{
    /// <summary>AF_INET6 on Linux.</summary>
    public const ushort Inet6 = 10;

    public ushort Family;
    public ushort Port;
    public uint FlowInfo;
    public fixed byte Address[16];
    public uint ScopeId;

    public static SockAddrIn6 From(System.Net.IPEndPoint endpoint)
    {
        if (endpoint.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException($"not an IPv6 endpoint: {endpoint}", nameof(endpoint));
        }

        var result = new SockAddrIn6
        {
            Family = Inet6,
            Port = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((ushort)endpoint.Port),
            ScopeId = (uint)endpoint.Address.ScopeId,
        };
        endpoint.Address.TryWriteBytes(new Span<byte>(result.Address, 16), out _);
        return result;
    }
}

/// <summary>sendto(2) of an IPv6 medium's heartbeat (see the IPv4 <see cref="SendToCall.TrySendTo(SafeSocketHandle, ReadOnlySpan{byte}, in SockAddrIn)"/>).</summary>
internal static partial class SendToCall
{
    /// <returns>0, or the errno (a failure is counted and reported by the caller, not thrown).</returns>
    public static unsafe int TrySendTo(SafeSocketHandle socket, ReadOnlySpan<byte> data, in SockAddrIn6 address)
    {
        fixed (byte* bytes = data)
        fixed (SockAddrIn6* pointer = &address)
        {
            return NativeSendToSocket(socket, bytes, (nuint)data.Length, 0, pointer, sizeof(SockAddrIn6)) < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
    }
}
