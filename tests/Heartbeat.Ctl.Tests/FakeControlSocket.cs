using System.Net.Sockets;
using Heartbeat.Protocol.Control;

namespace Heartbeat.Ctl.Tests;

/// <summary>
/// A control socket in a temporary run directory that answers like the daemon: one request per connection, answered
/// by <see cref="Answer"/> and closed. Records every request it was sent.
/// </summary>
internal sealed class FakeControlSocket : IAsyncDisposable
{
    private readonly List<ControlRequest> _requests = [];
    private readonly Socket _listener;
    private readonly Task _server;

    public FakeControlSocket(string prefix)
    {
        RunDirectory = Directory.CreateTempSubdirectory(prefix).FullName;
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(ControlSocketPath.In(RunDirectory)));
        _listener.Listen(8);
        _server = Task.Run(ServeAsync);
    }

    /// <summary>hbctl's --run-dir for this socket.</summary>
    public string RunDirectory { get; }

    public Func<ControlRequest, ControlResponse> Answer { get; set; } = _ => new ControlResponse(ControlRequest.CurrentVersion, true, Status: StatusSample.Create());

    public IReadOnlyList<ControlRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        await Task.WhenAny(_server, Task.Delay(5000));
        Directory.Delete(RunDirectory, recursive: true);
    }

    private async Task ServeAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return;
            }

            using (client)
            {
                byte[] buffer = new byte[65536];
                int length = 0;
                while (length == 0 || buffer[length - 1] != (byte)'\n')
                {
                    int n = await client.ReceiveAsync(buffer.AsMemory(length));
                    if (n == 0)
                    {
                        break;
                    }

                    length += n;
                }

                var request = ControlJsonContext.ParseRequest(buffer.AsSpan(0, length).TrimEnd((byte)'\n'))!;
                lock (_requests)
                {
                    _requests.Add(request);
                }

                await client.SendAsync((byte[])[.. ControlJsonContext.Serialize(Answer(request)), (byte)'\n']);
            }
        }
    }
}
