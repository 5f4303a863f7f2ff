using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Heartbeat.Daemon;

/// <summary>
/// The host's services that would otherwise come from open generic registrations (<c>ILogger&lt;&gt;</c>,
/// <c>IOptions&lt;&gt;</c>, <c>IOptionsMonitor&lt;&gt;</c>), registered closed. Under NativeAOT, resolving an open
/// generic registration makes the runtime type loader build each closed type (Logger&lt;T&gt;, UnnamedOptionsManager&lt;T&gt;,
/// OptionsFactory&lt;T&gt;, OptionsMonitor&lt;T&gt;, …) at start-up: measured here, about a third of the time from exec to the
/// first keepalive. Closed registrations are compiled ahead of time like any other code.
/// </summary>
internal static class ClosedServices
{
    public static void Register(IServiceCollection services, TimeSpan shutdownTimeout, LogLevel minimumLevel)
    {
        AddLogger<Node.NodeLoop>(services);
        AddLogger<Resources.ResourceExecutor>(services);
        AddLogger<Resources.LeftoverCleanupService>(services);
        AddLogger<Control.ControlSocketService>(services);
        AddLogger<ApplicationLifetime>(services);

        // The host asks for its start-up validator (options marked ValidateOnStart; we have none), whose options
        // manager is another open generic chain.
        services.AddSingleton<IStartupValidator>(new NothingToValidate());
        services.AddSingleton<IOptions<HostOptions>>(Options.Create(new HostOptions { ShutdownTimeout = shutdownTimeout }));
        services.AddSingleton<IOptions<ConsoleLifetimeOptions>>(Options.Create(new ConsoleLifetimeOptions()));
        services.AddSingleton<IOptions<LoggerFactoryOptions>>(Options.Create(new LoggerFactoryOptions()));

        // What SetMinimumLevel and AddFilter("Microsoft", Warning) put into LoggerFilterOptions; never changes at run time.
        var filter = new LoggerFilterOptions { MinLevel = minimumLevel };
        filter.Rules.Add(new LoggerFilterRule(providerName: null, categoryName: "Microsoft", logLevel: LogLevel.Warning, filter: null));
        services.AddSingleton<IOptionsMonitor<LoggerFilterOptions>>(new FixedFilterOptions(filter));
    }

    private static void AddLogger<T>(IServiceCollection services) =>
        services.AddSingleton<ILogger<T>>(sp => new Logger<T>(sp.GetRequiredService<ILoggerFactory>()));

    private sealed class NothingToValidate : IStartupValidator
    {
        public void Validate()
        {
            // No option of ours is validated on start: ha.cf, authkeys and haresources are checked before the host exists.
        }
    }

    /// <summary>Log filters fixed at start-up (a reload of ha.cf does not change the log level).</summary>
    private sealed class FixedFilterOptions(LoggerFilterOptions value) : IOptionsMonitor<LoggerFilterOptions>
    {
        public LoggerFilterOptions CurrentValue => value;

        public LoggerFilterOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<LoggerFilterOptions, string?> listener) => null;
    }
}
