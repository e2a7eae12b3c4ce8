using EdgeSync.Agent.Grpc;
using EdgeSync.Agent.Ingest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;

namespace EdgeSync.Agent;

/// <summary>Maps the agent's endpoints.</summary>
public static class AgentEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the gRPC <c>edgesync.v1.Sync</c> service, <c>POST /v1/tables/{table}/rows</c> (and
    /// <c>/v1/databases/{database}/tables/{table}/rows</c>), <c>/metrics</c> (Prometheus text), <c>/healthz/live</c>
    /// (the process answers), <c>/healthz/ready</c> (every database open and writable), and the fleet console
    /// (<c>/ui</c>, <c>/v1/fleet</c>, <c>/v1/fleet/{cluster}</c>: read-only, authenticated like ingest; docs/console.md). Requires
    /// <see cref="AgentServiceCollectionExtensions.AddEdgeSyncAgent"/>. gRPC needs HTTP/2: serve the endpoint with
    /// <c>HttpProtocols.Http1AndHttp2</c> (as <see cref="AgentHost"/> does). Ingest requires authentication when TLS or a
    /// token file is configured (<see cref="AgentEndpointConventionBuilderExtensions.RequireEdgeSyncAuthentication"/>);
    /// <c>/metrics</c> and <c>/healthz/*</c> stay open (kubelet probes and Prometheus scrape without credentials; they
    /// reveal site names and counters, no rows).
    /// </summary>
    public static IEndpointRouteBuilder MapEdgeSyncAgent(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGrpcService<SyncService>();
        IngestEndpoints.Map(endpoints);
        Console.ConsoleEndpoints.Map(endpoints);
        endpoints.MapPrometheusScrapingEndpoint("/metrics");
        endpoints.MapHealthChecks("/healthz/live", new HealthCheckOptions { Predicate = _ => false });
        endpoints.MapHealthChecks("/healthz/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        return endpoints;
    }
}
