using System.Text;
using Heartbeat.Protocol.Metrics;

namespace Heartbeat.Protocol.Tests.Metrics;

public sealed class PrometheusTextTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("eth0 224.0.0.1", "eth0 224.0.0.1")]
    [InlineData("a\\b", "a\\\\b")]
    [InlineData("say \"hi\"", "say \\\"hi\\\"")]
    [InlineData("two\nlines", "two\\nlines")]
    [InlineData("\\\"\n", "\\\\\\\"\\n")]
    public void Label_values_escape_backslash_quote_and_line_feed(string value, string expected)
    {
        var text = new StringBuilder();
        PrometheusText.AppendLabelValue(text, value);
        Assert.Equal(expected, text.ToString());
    }

    [Fact]
    public void Help_text_escapes_backslash_and_line_feed_but_not_quotes()
    {
        var text = new StringBuilder();
        PrometheusText.AppendHelp(text, "a \"b\" c\\d\ne");
        Assert.Equal("a \"b\" c\\\\d\\ne", text.ToString());
    }

    [Fact]
    public void Labels_are_rendered_in_order_and_checked()
    {
        Assert.Equal(string.Empty, PrometheusText.Labels([]));
        Assert.Equal("{node=\"server1\",interface=\"eth\\\"1\"}", PrometheusText.Labels([("node", "server1"), ("interface", "eth\"1")]));
        Assert.Throws<ArgumentException>(() => PrometheusText.Labels([("bad-name", "x")]));
        Assert.Throws<ArgumentException>(() => PrometheusText.Labels([("__reserved", "x")]));
    }

    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(42.0, "42")]
    [InlineData(-3.0, "-3")]
    [InlineData(0.25, "0.25")]
    [InlineData(1e20, "1E+20")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    public void Values_are_written_as_the_format_spells_them(double value, string expected)
    {
        var text = new StringBuilder();
        PrometheusText.AppendValue(text, value);
        Assert.Equal(expected, text.ToString());
    }

    [Theory]
    [InlineData("heartbeat_takeovers_total", false, true)]
    [InlineData("a:b", false, true)]
    [InlineData("a:b", true, false)]
    [InlineData("9lives", false, false)]
    [InlineData("", false, false)]
    [InlineData("with space", false, false)]
    public void Names_follow_the_formats_grammar(string name, bool label, bool valid) => Assert.Equal(valid, PrometheusText.IsValidName(name, label));

    [Theory]
    [InlineData("PeerDead", "peer_dead")]
    [InlineData("Acquire", "acquire")]
    [InlineData("AuthUnknownKey", "auth_unknown_key")]
    public void Enum_names_become_snake_case_label_values(string name, string expected) => Assert.Equal(expected, PrometheusText.SnakeCase(name));
}
