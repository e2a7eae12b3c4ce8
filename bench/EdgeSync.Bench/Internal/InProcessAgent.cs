using EdgeSync.Agent;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Bench.Internal;

/// <summary>
/// An agent hosted in this process with <see cref="AgentHost"/>, on loopback with free ports. Its console logs are
/// removed (stdout carries the one JSON line).
/// </summary>
internal sealed class InProcessAgent : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessAgent(WebApplication app, string grpcUrl, string httpUrl)
    {
        _app = app;
        GrpcUrl = grpcUrl;
        HttpUrl = httpUrl;
    }

    /// <summary>The sync endpoint peers connect to.</summary>
    public string GrpcUrl { get; }

    /// <summary>The HTTP endpoint (ingest, metrics, console).</summary>
    public string HttpUrl { get; }

    public static async Task<InProcessAgent> StartAsync(
        string path, string site, IReadOnlyList<string> peers, IReadOnlyDictionary<string, string?>? settings = null, string? hub = null, AgentRole? role = null)
    {
        // No watching of appsettings files: each watcher is an inotify instance, and a user has 128 on a default
        // Linux host, shared with every process they run (the fanout scenario starts 100+ agents in this process).
        var builder = AgentHost.CreateBuilder(["--hostBuilder:reloadConfigOnChange=false"], new AgentLaunchSettings
        {
            Databases = [path],
            Site = site,
            Listen = ["http://127.0.0.1:0"],
            HttpListen = ["http://127.0.0.1:0"],
            Peers = peers,
            Hub = hub,
            Role = role,
            Settings = settings ?? new Dictionary<string, string?>(),
        });
        builder.Logging.ClearProviders();

        var app = AgentHost.Build(builder);
        await app.StartAsync().ConfigureAwait(false);
        var addresses = AgentHost.Addresses(app);
        return new InProcessAgent(app, addresses.Grpc[0], addresses.Http[0]);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
