using System.Net.Sockets;
using Heartbeat.Protocol.Control;

namespace Heartbeat.Ctl.Commands;

/// <summary>One request to the daemon's control socket and its answer.</summary>
public static class ControlClient
{
    public const string DefaultRunDirectory = "/run/heartbeat";

    /// <summary>Exit code when the daemon cannot be reached (as <c>heartbeat -s</c> uses 3 for "not running").</summary>
    public const int NotRunning = 3;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A command that changes something (standby, takeover, reload): prints the daemon's message and returns 0, or says
    /// why on stderr and returns 1 (refused) or <see cref="NotRunning"/>.
    /// </summary>
    public static int Perform(string runDirectory, ControlRequest request, TextWriter output, TextWriter error)
    {
        var (response, problem) = Ask(runDirectory, request);
        if (response is null)
        {
            error.WriteLine($"hbctl: {problem}");
            return NotRunning;
        }

        if (!response.Ok)
        {
            error.WriteLine($"hbctl {request.Command}: {response.Error}");
            return 1;
        }

        output.WriteLine(response.Message);
        return 0;
    }

    /// <summary>A read command: asks for the status and hands it to <paramref name="show"/>, or says why there is none.</summary>
    public static int WithStatus(string runDirectory, string verb, TextWriter error, Func<StatusReport, int> show)
    {
        var (response, problem) = Ask(runDirectory, new ControlRequest(ControlRequest.CurrentVersion, "status"));
        if (response?.Status is not { } status)
        {
            error.WriteLine($"hbctl {verb}: {problem ?? response?.Error}");
            return response is null ? NotRunning : 1;
        }

        return show(status);
    }

    /// <summary>The answer, or the reason the daemon could not be asked.</summary>
    public static (ControlResponse? Response, string? Problem) Ask(string runDirectory, ControlRequest request)
    {
        string path = ControlSocketPath.In(runDirectory);
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
