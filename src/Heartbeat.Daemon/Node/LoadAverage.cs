namespace Heartbeat.Daemon.Node;

/// <summary>
/// The <c>ld</c> field of our status messages: the first line of /proc/loadavg. Owned by the node loop and used only
/// on the loop thread (the engine asks for it while it builds a message), so nothing here is synchronized.
/// </summary>
internal sealed class LoadAverage
{
    private const long RefreshMilliseconds = 5000;

    /// <summary>The <c>ld</c> text as a string, made when first asked for after a change.</summary>
    private string? _text;

    // Half of MinValue: "now - _readAt" must not overflow before the first read (with MinValue it wrapped negative
    // and /proc/loadavg was never read: every status carried the placeholder).
    private long _readAt = long.MinValue / 2;

    private Microsoft.Win32.SafeHandles.SafeFileHandle? _file;
    private readonly byte[] _read = new byte[256];
    private readonly byte[] _bytes = [.. "0.00 0.00 0.00 1/1 1"u8, .. new byte[236]];
    private int _length = "0.00 0.00 0.00 1/1 1".Length;

    /// <summary>
    /// The <c>ld</c> field as text, for messages other than heartbeats: a string only when the text changed since the
    /// last one.
    /// </summary>
    public string Read()
    {
        Refresh();
        return _text ??= System.Text.Encoding.Latin1.GetString(_bytes.AsSpan(0, _length));
    }

    /// <summary>The <c>ld</c> field as bytes, for heartbeats: no allocation.</summary>
    public int Write(Span<byte> destination)
    {
        Refresh();
        int length = Math.Min(_length, destination.Length);
        _bytes.AsSpan(0, length).CopyTo(destination);
        return length;
    }

    /// <summary>
    /// Rereads the first line of /proc/loadavg at most every 5 s, through a handle kept open, into a buffer kept. Why
    /// 5 s: the kernel recomputes the three averages only that often (LOAD_FREQ); the other two fields (runnable/total
    /// tasks, the newest pid) are instantaneous and tell a peer nothing. Reread at every keepalive it cost ~6 % of an
    /// idle node's CPU (a system call, and the kernel sums every CPU's run queue and formats the line).
    /// </summary>
    private void Refresh()
    {
        long now = Environment.TickCount64;
        if (now - _readAt < RefreshMilliseconds)
        {
            return;
        }

        _readAt = now;
        try
        {
            _file ??= File.OpenHandle("/proc/loadavg");
            int read = Interop.PReadCall.Read(_file, _read, 0, out _);
            if (read <= 0)
            {
                return; // keep the previous value
            }

            var line = _read.AsSpan(0, read);
            int newline = line.IndexOf((byte)'\n');
            line = (newline >= 0 ? line[..newline] : line).Trim((byte)' ');
            if (!line.SequenceEqual(_bytes.AsSpan(0, _length)))
            {
                line.CopyTo(_bytes);
                _length = line.Length;
                _text = null;
            }
        }
        catch (IOException)
        {
            // Keep the previous value; the field is informational.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
