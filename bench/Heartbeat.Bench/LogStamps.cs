using System.Text;

namespace Heartbeat.Bench;

/// <summary>
/// A log file polled every 2 ms from its length at construction on: each new line with the wall-clock time it
/// appeared, which is when its writer wrote it (3.0.6's and our ha-log stamp whole seconds only; keepalived's output
/// reaches its file through a pipe).
/// </summary>
public sealed class LogStamps : IDisposable
{
    private readonly string _path;
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(DateTimeOffset At, string Line)> _lines = [];
    private readonly StringBuilder _text = new();
    private long _offset;

    public LogStamps(string path)
    {
        _path = path;
        _offset = File.Exists(path) ? new FileInfo(path).Length : 0;
        _thread = new Thread(Poll) { IsBackground = true, Name = "log stamps " + Path.GetFileName(path) };
        _thread.Start();
    }

    /// <summary>When the first line containing <paramref name="marker"/> appeared (null: none yet).</summary>
    public DateTimeOffset? First(string marker)
    {
        lock (_lines)
        {
            foreach (var (at, line) in _lines)
            {
                if (line.Contains(marker, StringComparison.Ordinal))
                {
                    return at;
                }
            }
        }

        return null;
    }

    /// <summary>Everything written since the construction (complete lines and a partial last one).</summary>
    public string Text
    {
        get
        {
            lock (_lines)
            {
                return _text.ToString();
            }
        }
    }

    /// <summary>Stops polling after one last read.</summary>
    public void Stop()
    {
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
            _thread.Join(TimeSpan.FromSeconds(5));
        }
    }

    public void Dispose()
    {
        Stop();
        _stop.Dispose();
    }

    private void Poll()
    {
        var pending = new StringBuilder();
        while (true)
        {
            bool last = _stop.IsCancellationRequested;
            ReadNew(pending);
            if (last)
            {
                return;
            }

            Thread.Sleep(2);
        }
    }

    private void ReadNew(StringBuilder pending)
    {
        try
        {
            using var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (file.Length <= _offset)
            {
                return;
            }

            file.Position = _offset;
            byte[] buffer = new byte[file.Length - _offset];
            int n = file.Read(buffer);
            _offset += n;
            var at = DateTimeOffset.UtcNow;
            string chunk = Encoding.UTF8.GetString(buffer, 0, n);
            lock (_lines)
            {
                _text.Append(chunk);
                pending.Append(chunk);
                string all = pending.ToString();
                int end = all.LastIndexOf('\n');
                if (end < 0)
                {
                    return;
                }

                foreach (string line in all[..end].Split('\n'))
                {
                    _lines.Add((at, line));
                }

                pending.Clear().Append(all[(end + 1)..]);
            }
        }
        catch (IOException)
        {
            // Not there yet, or being rotated: try again.
        }
    }
}
