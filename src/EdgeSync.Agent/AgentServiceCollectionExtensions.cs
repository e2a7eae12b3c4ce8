using EdgeSync.Agent.Configuration;
using EdgeSync.Agent.Health;
using EdgeSync.Agent.Hosting;
using EdgeSync.Diagnostics;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace EdgeSync.Agent;

/// <summary>Registers the agent in a host's services.</summary>
public static class AgentServiceCollectionExtensions
{
    /// <summary>
    /// Adds the agent: <see cref="AgentOptions"/> bound from the <c>EdgeSync</c> section and validated at start, the
    /// hosted service that opens the databases and runs capture and peer loops, the gRPC sync service, health checks
    /// and OpenTelemetry metrics for the <c>EdgeSync</c> meter (Prometheus exporter). When
    /// <paramref name="configuration"/> is also a configuration builder (as <c>WebApplicationBuilder.Configuration</c>
    /// is), the <c>EDGESYNC_*</c> environment variables are added to it (see
    /// <see cref="AgentConfigurationExtensions.AddEdgeSyncEnvironmentVariables"/>). Pair with
    /// <see cref="AgentEndpointRouteBuilderExtensions.MapEdgeSyncAgent"/>.
    /// </summary>
    public static IServiceCollection AddEdgeSyncAgent(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration is IConfigurationBuilder builder)
        {
            builder.AddEdgeSyncEnvironmentVariables();
        }

        services.AddOptions<AgentOptions>().BindConfiguration(AgentOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AgentOptions>, AgentOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        var meters = new OwnMeterFactory();
        services.TryAddSingleton(sp => new Diagnostics.AgentMetrics(meters.Factory = sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton<DatabaseRegistry>();
        services.TryAddSingleton<Security.AgentSecurity>();
        services.TryAddSingleton(sp => new Capture.WalWatch(sp.GetRequiredService<ILoggerFactory>().CreateLogger<Capture.WalWatch>()));
        services.AddHostedService<AgentService>();
        services.AddHostedService<Backup.BackupScheduler>();
        services.AddHostedService<Hosting.MigrationRunner>();
        services.AddHostedService<Verify.DivergenceMonitor>();
        services.TryAddSingleton<Lifecycle.IFreeSpaceProbe, Lifecycle.VolumeFreeSpace>();
        services.TryAddSingleton<Lifecycle.LifecycleMetrics>();
        services.TryAddSingleton<Lifecycle.DiskGuard>();
        services.TryAddSingleton<Ingest.IngestAck>();
        services.TryAddSingleton<Lifecycle.LifecycleService>();
        services.AddHostedService(sp => sp.GetRequiredService<Lifecycle.LifecycleService>());
        services.TryAddSingleton<Export.ExportMetrics>();
        services.AddHostedService<Export.ExportService>();
        services.TryAddSingleton<Compaction.CompactionMetrics>();
        services.TryAddSingleton<Compaction.CompactionScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<Compaction.CompactionScheduler>());

        services.TryAddSingleton(sp =>
        {
            var limiter = new Limits.PeerStreamLimiter();
            sp.GetRequiredService<Diagnostics.AgentMetrics>().ObserveOpenCalls(limiter.Snapshot);
            return limiter;
        });
        services.TryAddSingleton<Console.IFleetSnapshotSource, Console.FleetSnapshotBuilder>(); // the fleet console's model
        services.TryAddSingleton<Console.FleetSnapshotCache>();
        services.TryAddSingleton<Console.ReplicaReports>(); // what callers report of their clusters, for this agent's console
        services.TryAddSingleton<Sync.PushAppliers>(); // one writer of pushed batches per database, turns fair across peers
        services.TryAddSingleton<Limits.PeerLimitInterceptor>();
        services.AddGrpc(grpc => grpc.Interceptors.Add<Limits.PeerLimitInterceptor>());
        // Read from configuration, not IOptions<AgentOptions>: mapping the gRPC service resolves these options before
        // start, and invalid agent options must fail at start with their own message.
        services.AddOptions<GrpcServiceOptions>().Configure<IConfiguration>((grpc, config) =>
        {
            int max = config.GetValue($"{AgentOptions.SectionName}:{nameof(AgentOptions.MaxMessageBytes)}", new AgentOptions().MaxMessageBytes);
            grpc.MaxReceiveMessageSize = max;
            grpc.MaxSendMessageSize = max;
        });
        // A peer's streams share its connections: cap them per connection too (twice the per-peer limit leaves room
        // for streams being torn down), so one connection cannot open Kestrel's default of 100.
        services.AddOptions<KestrelServerOptions>().Configure<IConfiguration>((kestrel, config) =>
        {
            int perPeer = config.GetValue($"{AgentOptions.SectionName}:{nameof(AgentOptions.MaxStreamsPerPeer)}", new AgentOptions().MaxStreamsPerPeer);
            kestrel.Limits.Http2.MaxStreamsPerConnection = Math.Max(1, perPeer) * 2;
        });
        services.AddProblemDetails();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(EdgeSyncMetrics.MeterName)
            .AddView(meters.DropOtherHosts)
            .AddPrometheusExporter());
        return services;
    }

    /// <summary>
    /// OpenTelemetry subscribes by meter name, so in a process hosting several agents (tests, the demo) every agent
    /// would also export the others' EdgeSync instruments, merged into one stream with its own (same identity) and
    /// dropped when one of them stops. This view keeps only the meter of this host's <see cref="System.Diagnostics.Metrics.IMeterFactory"/>.
    /// </summary>
    private sealed class OwnMeterFactory
    {
        public System.Diagnostics.Metrics.IMeterFactory? Factory { get; set; }

        public MetricStreamConfiguration? DropOtherHosts(System.Diagnostics.Metrics.Instrument instrument) =>
            instrument.Meter.Name == EdgeSyncMetrics.MeterName && (Factory is null || !ReferenceEquals(instrument.Meter.Scope, Factory))
                ? MetricStreamConfiguration.Drop // before this host's meter exists, every EdgeSync meter is another's (a null scope too)
                : null;
    }
}
