using System.Net.Sockets;
using Heartbeat.Daemon.Control;
using Heartbeat.Protocol.Control;

namespace Heartbeat.Ctl.Commands;

/// <summary>One request to the daemon's control socket and its answer.</summary>
public static class ControlClient
{
    public const string DefaultRunDirectory = "/run/heartbeat";

    /// <summary>Exit code when the daemon cannot be reached (as <c>heartbeat -s</c> uses 3 for "not running").</summary>
    public const int NotRunning = 3;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The answer, or the reason the daemon could not be asked.</summary>
    public static (ControlResponse? Response, string? Problem) Ask(string runDirectory, ControlRequest request)
    {
        string path = ControlSocketService.PathIn(runDirectory);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.SendTimeout = (int)Timeout.TotalMilliseconds;
        socket.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send([.. ControlJsonContext.Serialize(request), (byte)'\n']);
            using var answer = new MemoryStream();
            byte[] buffer = new byte[16384];
            int n;
            while ((n = socket.Receive(buffer)) > 0)
            {
                answer.Write(buffer, 0, n);
            }

            var response = ControlJsonContext.ParseResponse(answer.ToArray().AsSpan().TrimEnd((byte)'\n'));
            return response is null ? (null, $"{path}: the daemon's answer is not a control response") : (response, null);
        }
        catch (SocketException ex)
        {
            string why = ex.SocketErrorCode switch
            {
                SocketError.AddressNotAvailable or SocketError.ConnectionRefused => "heartbeat is not running (no one listens there)",
                SocketError.AccessDenied => "permission denied (the control socket is root only)",
                _ => ex.Message,
            };
            return (null, $"{path}: {why}");
        }
    }
}
