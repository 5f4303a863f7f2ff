namespace Heartbeat.Protocol.Metrics;

/// <summary>What the metrics listener makes of the bytes a client sent so far.</summary>
public enum ScrapeVerdict
{
    /// <summary>The head is not complete yet: read more (within the size and time bounds).</summary>
    Incomplete,

    /// <summary><c>GET /metrics</c> (a query string is ignored): 200 with the exposition text.</summary>
    Metrics,

    /// <summary>Another path: 404.</summary>
    NotFound,

    /// <summary>Another method on <c>/metrics</c>: 405 with <c>Allow: GET</c>.</summary>
    MethodNotAllowed,

    /// <summary>Not an HTTP/1.x request line: 400.</summary>
    BadRequest,

    /// <summary>No end of the head within <see cref="ScrapeRequest.MaxHeadBytes"/>: 431, and the connection is closed.</summary>
    TooLarge,

    /// <summary>Not a parse result: the daemon has published no metrics yet (starting): 503.</summary>
    NotReady,
}

/// <summary>
/// The HTTP/1.x request head of a scrape, parsed from the bytes received so far. Only the request line matters: one
/// request per connection, answered with <c>Connection: close</c>, so headers are skipped, a body or a pipelined second
/// request is never read, and nothing a client sends is kept beyond the head's bound.
/// </summary>
public static class ScrapeRequest
{
    /// <summary>Prometheus' scrape head is a few hundred bytes; more is not a scraper.</summary>
    public const int MaxHeadBytes = 8 * 1024;

    public static ScrapeVerdict Parse(ReadOnlySpan<byte> received)
    {
        int end = received.IndexOf("\r\n\r\n"u8);
        int endLf = received.IndexOf("\n\n"u8);
        if (end < 0 || (endLf >= 0 && endLf < end))
        {
            end = endLf;
        }

        if (end < 0)
        {
            // The request line alone can already be judged bad (a binary flood need not fill the bound first).
            int firstLine = received.IndexOf((byte)'\n');
            if (firstLine >= 0 && !RequestLine(received[..firstLine], out _, out _))
            {
                return ScrapeVerdict.BadRequest;
            }

            return received.Length >= MaxHeadBytes ? ScrapeVerdict.TooLarge : ScrapeVerdict.Incomplete;
        }

        if (end > MaxHeadBytes)
        {
            return ScrapeVerdict.TooLarge;
        }

        int lineEnd = received.IndexOf((byte)'\n');
        if (!RequestLine(received[..lineEnd], out var method, out var target))
        {
            return ScrapeVerdict.BadRequest;
        }

        int query = target.IndexOf((byte)'?');
        var path = query >= 0 ? target[..query] : target;
        if (!path.SequenceEqual("/metrics"u8))
        {
            return ScrapeVerdict.NotFound;
        }

        return method.SequenceEqual("GET"u8) ? ScrapeVerdict.Metrics : ScrapeVerdict.MethodNotAllowed;
    }

    /// <summary><c>METHOD SP TARGET SP HTTP/1.x</c>, the CR optional; the method an upper-case token, the target origin-form.</summary>
    private static bool RequestLine(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> method, out ReadOnlySpan<byte> target)
    {
        method = target = default;
        if (line.Length > 0 && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        int first = line.IndexOf((byte)' ');
        int last = line.LastIndexOf((byte)' ');
        if (first <= 0 || last <= first + 1)
        {
            return false;
        }

        method = line[..first];
        target = line[(first + 1)..last];
        var version = line[(last + 1)..];
        if (!version.SequenceEqual("HTTP/1.1"u8) && !version.SequenceEqual("HTTP/1.0"u8))
        {
            return false;
        }

        foreach (byte b in method)
        {
            if (b is < (byte)'A' or > (byte)'Z')
            {
                return false;
            }
        }

        if (target.Length == 0 || target[0] != (byte)'/')
        {
            return false;
        }

        foreach (byte b in target)
        {
            if (b <= 0x20 || b >= 0x7f)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The status line and headers of an answer (the body follows), always closing the connection.</summary>
    public static byte[] Head(ScrapeVerdict verdict, int bodyLength)
    {
        var (status, contentType) = verdict switch
        {
            ScrapeVerdict.Metrics => ("200 OK", PrometheusText.ContentType),
            ScrapeVerdict.NotFound => ("404 Not Found", "text/plain; charset=utf-8"),
            ScrapeVerdict.MethodNotAllowed => ("405 Method Not Allowed", "text/plain; charset=utf-8"),
            ScrapeVerdict.TooLarge => ("431 Request Header Fields Too Large", "text/plain; charset=utf-8"),
            ScrapeVerdict.NotReady => ("503 Service Unavailable", "text/plain; charset=utf-8"),
            _ => ("400 Bad Request", "text/plain; charset=utf-8"),
        };
        string allow = verdict == ScrapeVerdict.MethodNotAllowed ? "Allow: GET\r\n" : string.Empty;
        return System.Text.Encoding.ASCII.GetBytes(string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {bodyLength}\r\n{allow}Connection: close\r\n\r\n"));
    }
}
