using System.CommandLine;
using System.Net.Sockets;
using Heartbeat.Protocol.Control;
using Heartbeat.Protocol.Events;

namespace Heartbeat.Ctl.Commands;

/// <summary>
/// <c>hbctl events [--follow] [--json]</c>: what the node decided and saw, in order (the daemon keeps the last 1 024),
/// then with <c>--follow</c> each new one as it happens. <c>--json</c>: one JSON object per line, named as the journal's
/// HB_EVENT values; otherwise one readable line each.
/// </summary>
public static class EventsCommand
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    public static Command Create(TextWriter output, TextWriter error)
    {
        var runDir = StatusCommand.RunDirectoryOption();
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing events as they happen" };
        var json = new Option<bool>("--json") { Description = "One JSON object per line" };
        var command = new Command("events", "Print the node's recent events (node/link up and dead, group moves, takeovers, standby, reloads)") { follow, json, runDir };
        command.SetAction(parse => Run(parse.GetValue(runDir)!, parse.GetValue(follow), parse.GetValue(json), output, error));
        return command;
    }

    public static int Run(string runDirectory, bool follow, bool json, TextWriter output, TextWriter error)
    {
        string path = ControlSocketPath.In(runDirectory);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.ReceiveTimeout = (int)AnswerTimeout.TotalMilliseconds;
        socket.SendTimeout = (int)AnswerTimeout.TotalMilliseconds;
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send([.. ControlJsonContext.Serialize(new ControlRequest(ControlRequest.CurrentVersion, "events", follow ? "follow" : null)), (byte)'\n']);
            using var stream = new NetworkStream(socket, ownsSocket: false);
            using var reader = new StreamReader(stream);
            var first = reader.ReadLine() is { } line ? ControlJsonContext.ParseResponse(System.Text.Encoding.UTF8.GetBytes(line)) : null;
            if (first is null)
            {
                error.WriteLine($"hbctl: {path}: the daemon's answer is not a control response");
                return ControlClient.NotRunning;
            }

            if (!first.Ok)
            {
                error.WriteLine($"hbctl events: {first.Error}");
                return 1;
            }

            // Following waits as long as it takes for the next event.
            socket.ReceiveTimeout = follow ? 0 : (int)AnswerTimeout.TotalMilliseconds;
            while (reader.ReadLine() is { } eventLine)
            {
                output.WriteLine(json ? eventLine : EventJson.Human(System.Text.Encoding.UTF8.GetBytes(eventLine)) ?? eventLine);
                output.Flush();
            }

            return 0;
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            string why = (ex as SocketException ?? ex.InnerException as SocketException)?.SocketErrorCode switch
            {
                SocketError.AddressNotAvailable or SocketError.ConnectionRefused => "heartbeat is not running (no one listens there)",
                SocketError.AccessDenied => "permission denied (the control socket is root only)",
                _ => ex.Message,
            };
            error.WriteLine($"hbctl: {path}: {why}");
            return ControlClient.NotRunning;
        }
    }
}
