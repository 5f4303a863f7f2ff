using System.Text;
using Heartbeat.Protocol.Metrics;

namespace Heartbeat.Protocol.Tests.Metrics;

/// <summary>The metrics listener's request parsing, against what scrapers send and what hostile clients do.</summary>
public sealed class ScrapeRequestTests
{
    private static ScrapeVerdict Parse(string text) => ScrapeRequest.Parse(Encoding.Latin1.GetBytes(text));

    [Theory]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: 10.0.0.1:9746\r\nUser-Agent: Prometheus/2.45.3\r\nAccept: application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.2,*/*;q=0.1\r\nX-Prometheus-Scrape-Timeout-Seconds: 1\r\n\r\n")]
    [InlineData("GET /metrics HTTP/1.0\r\n\r\n")]
    [InlineData("GET /metrics?name[]=x HTTP/1.1\r\n\r\n")]
    [InlineData("GET /metrics HTTP/1.1\n\n")]
    public void A_scrape_is_recognised(string request) => Assert.Equal(ScrapeVerdict.Metrics, Parse(request));

    [Theory]
    [InlineData("")]
    [InlineData("GET /metr")]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\n")]
    public void A_partial_head_asks_for_more(string request) => Assert.Equal(ScrapeVerdict.Incomplete, Parse(request));

    [Theory]
    [InlineData("POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")]
    [InlineData("HEAD /metrics HTTP/1.1\r\n\r\n")]
    [InlineData("DELETE /metrics HTTP/1.1\r\n\r\n")]
    public void Other_methods_are_not_allowed(string request) => Assert.Equal(ScrapeVerdict.MethodNotAllowed, Parse(request));

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n\r\n")]
    [InlineData("GET /metrics/ HTTP/1.1\r\n\r\n")]
    [InlineData("GET /metricsx HTTP/1.1\r\n\r\n")]
    [InlineData("GET /../etc/passwd HTTP/1.1\r\n\r\n")]
    public void Other_paths_are_not_found(string request) => Assert.Equal(ScrapeVerdict.NotFound, Parse(request));

    [Theory]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]
    [InlineData("GET /metrics\r\n\r\n")]
    [InlineData("get /metrics HTTP/1.1\r\n\r\n")]
    [InlineData("GET http://x/metrics HTTP/1.1\r\n\r\n")]
    [InlineData("GET /met rics HTTP/1.1\r\n\r\n")]
    [InlineData("\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\n")]
    public void What_is_not_an_HTTP_1_request_line_is_bad(string request) => Assert.Equal(ScrapeVerdict.BadRequest, Parse(request));

    [Fact]
    public void A_head_that_never_ends_is_too_large_at_the_bound()
    {
        string head = "GET /metrics HTTP/1.1\r\n" + string.Concat(Enumerable.Repeat("X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 400));
        Assert.True(head.Length > ScrapeRequest.MaxHeadBytes);
        Assert.Equal(ScrapeVerdict.TooLarge, Parse(head[..ScrapeRequest.MaxHeadBytes]));
        Assert.Equal(ScrapeVerdict.Incomplete, Parse(head[..(ScrapeRequest.MaxHeadBytes - 1)]));
        Assert.Equal(ScrapeVerdict.TooLarge, Parse(head + "\r\n"));
    }

    [Fact]
    public void A_pipelined_second_request_is_not_looked_at()
    {
        Assert.Equal(ScrapeVerdict.Metrics, Parse("GET /metrics HTTP/1.1\r\n\r\nPOST /x HTTP/1.1\r\n\r\n"));
        Assert.Equal(ScrapeVerdict.NotFound, Parse("GET /x HTTP/1.1\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n"));
    }

    [Fact]
    public void Answers_close_the_connection_and_say_their_length()
    {
        string ok = Encoding.ASCII.GetString(ScrapeRequest.Head(ScrapeVerdict.Metrics, 1234));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", ok, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n", ok, StringComparison.Ordinal);
        Assert.Contains("Content-Length: 1234\r\n", ok, StringComparison.Ordinal);
        Assert.EndsWith("Connection: close\r\n\r\n", ok, StringComparison.Ordinal);
        string notAllowed = Encoding.ASCII.GetString(ScrapeRequest.Head(ScrapeVerdict.MethodNotAllowed, 0));
        Assert.StartsWith("HTTP/1.1 405 ", notAllowed, StringComparison.Ordinal);
        Assert.Contains("Allow: GET\r\n", notAllowed, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 404 ", Encoding.ASCII.GetString(ScrapeRequest.Head(ScrapeVerdict.NotFound, 0)), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 431 ", Encoding.ASCII.GetString(ScrapeRequest.Head(ScrapeVerdict.TooLarge, 0)), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 503 ", Encoding.ASCII.GetString(ScrapeRequest.Head(ScrapeVerdict.NotReady, 0)), StringComparison.Ordinal);
    }
}
