using System.Net;

namespace Heartbeat.Protocol.Capture;

/// <summary>One UDP datagram reassembled from a capture. <see cref="Frame"/> is the 1-based packet number (Wireshark's) of its last fragment.</summary>
public sealed record CapturedDatagram(
    int Frame,
    DateTimeOffset Timestamp,
    IPAddress Source,
    int SourcePort,
    IPAddress Destination,
    int DestinationPort,
    byte Tos,
    byte Ttl,
    ReadOnlyMemory<byte> Payload);

/// <summary>What could not be read in a capture file, with the packet number where known.</summary>
public sealed record CaptureProblem(int Frame, string Message);
