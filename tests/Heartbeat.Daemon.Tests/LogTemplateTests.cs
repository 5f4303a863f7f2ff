using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Tests;

/// <summary>
/// Every source-generated log line of the daemon names each placeholder once: the generator maps a repeated one to a
/// second argument slot, and the line then printed a placeholder literally ("Rejected packet on {Interface} from
/// server2: OldSequence: …", seen in a chaos run's ha-log); and event ids are unique.
/// </summary>
public partial class LogTemplateTests
{
    private static readonly (MethodInfo Method, LoggerMessageAttribute Attribute)[] LogMethods =
    [
        .. typeof(Heartbeat.Daemon.Logging.ResourceLog).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(p => p.Attribute is not null)
            .Select(p => (p.Method, p.Attribute!)),
    ];

    [Fact]
    public void Every_placeholder_appears_once_in_its_template()
    {
        Assert.NotEmpty(LogMethods);
        var repeated = LogMethods
            .Select(p => (Name: $"{p.Method.DeclaringType!.Name}.{p.Method.Name}", Names: Placeholder().Matches(p.Attribute.Message).Select(m => m.Groups[1].Value.ToUpperInvariant()).ToList()))
            .Where(p => p.Names.Count != p.Names.Distinct().Count())
            .Select(p => p.Name)
            .ToList();
        Assert.Empty(repeated);
    }

    [Fact]
    public void Event_ids_are_unique()
    {
        var duplicated = LogMethods.GroupBy(p => p.Attribute.EventId).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(p => p.Method.Name))}").ToList();
        Assert.Empty(duplicated);
    }

    [GeneratedRegex(@"\{(\w+)\}")]
    private static partial Regex Placeholder();
}
