using Heartbeat.Daemon.Node;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Heartbeat.Daemon.Tests;

/// <summary>
/// The host services registered closed (for NativeAOT start-up) must behave as the open registrations they replace: the
/// same log filters, the same shutdown timeout, loggers named after their class, and a host that starts and stops.
/// </summary>
public class ClosedServicesTests
{
    [Theory]
    [InlineData(LogLevel.Information)]
    [InlineData(LogLevel.Debug)]
    public async Task A_host_with_the_closed_services_filters_logs_and_stops_as_configured(LogLevel minimum)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = "/" });
        builder.Logging.ClearProviders();
        var provider = new RecordingProvider();
        builder.Logging.AddProvider(provider);
        ClosedServices.Register(builder.Services, TimeSpan.FromMinutes(5), minimum);
        using var host = builder.Build();

        Assert.Equal(TimeSpan.FromMinutes(5), host.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
        var membership = host.Services.GetRequiredService<ILogger<NodeLoop>>();
        var hosting = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Microsoft.Hosting.Lifetime");

        membership.LogDebug("debug line");
        membership.LogInformation("information line");
        hosting.LogInformation("framework chatter");
        hosting.LogWarning("framework warning");

        await host.StartAsync();
        await host.StopAsync();

        string[] expected = minimum == LogLevel.Debug
            ? ["Heartbeat.Daemon.Node.NodeLoop: debug line", "Heartbeat.Daemon.Node.NodeLoop: information line", "Microsoft.Hosting.Lifetime: framework warning"]
            : ["Heartbeat.Daemon.Node.NodeLoop: information line", "Microsoft.Hosting.Lifetime: framework warning"];
        Assert.Equal(expected, provider.Lines.Where(l => !l.StartsWith("Microsoft.Hosting.Lifetime: Application", StringComparison.Ordinal)));
    }

    private sealed class RecordingProvider : ILoggerProvider
    {
        public List<string> Lines { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Recorder(categoryName, Lines);

        public void Dispose()
        {
        }

        private sealed class Recorder(string category, List<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (lines)
                {
                    lines.Add($"{category}: {formatter(state, exception)}");
                }
            }
        }
    }
}
