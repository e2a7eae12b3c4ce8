using System.Net;
using System.Net.Sockets;
using EdgeSync.Agent.Hosting;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Tests.Support;

/// <summary>A real agent in this process: Kestrel on 127.0.0.1 with a dynamic port, real gRPC, its own database file.</summary>
public sealed class TestAgent : IAsyncDisposable
{
    private WebApplication? _app;

    private readonly Dictionary<string, MetricRecorder> _recorders;

    private TestAgent(string path, string site, WebApplication app, AgentAddresses addresses, Dictionary<string, MetricRecorder> recorders)
    {
        _recorders = recorders;
        DbPath = path;
        Site = site;
        _app = app;
        Url = addresses.Grpc[0];
        HttpUrl = addresses.Http[0];
        Http = new HttpClient { BaseAddress = new Uri(HttpUrl), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string DbPath { get; }

    public string Site { get; }

    /// <summary>The sync (gRPC) URL peers use.</summary>
    public string Url { get; }

    /// <summary>The HTTP/1.1 URL: ingest, metrics, health.</summary>
    public string HttpUrl { get; }

    public HttpClient Http { get; }

    internal HostedDatabase Hosted => Registry.All[0];

    /// <summary>The agent host's services (its <c>IMeterFactory</c>, for instruments a <see cref="MetricRecorder"/> does not read).</summary>
    public IServiceProvider Services => _app!.Services;

    internal DatabaseRegistry Registry => (DatabaseRegistry)_app!.Services.GetService(typeof(DatabaseRegistry))!;

    /// <summary>This agent's gauge <paramref name="name"/> per value of <paramref name="tag"/>, as its <c>/metrics</c> endpoint exports it now.</summary>
    public async Task<Dictionary<string, double>> GaugeAsync(string name, string tag)
    {
        string text = await Http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(name + "{", StringComparison.Ordinal))
            {
                continue;
            }

            int at = line.IndexOf(tag + "=\"", StringComparison.Ordinal);
            int close = line.LastIndexOf('}');
            if (at < 0 || close < 0)
            {
                continue;
            }

            int start = at + tag.Length + 2;
            string key = line[start..line.IndexOf('"', start)];
            values[key] = double.Parse(line[(close + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }

        return values;
    }

    public SyncDatabase Db => Hosted.Db;

    /// <summary>
    /// This agent's counter <paramref name="instrument"/>: recorded from the start when it was named in
    /// <c>StartAsync(record: …)</c>, else from now on. Disposed with the agent.
    /// </summary>
    public MetricRecorder Metric(string instrument)
    {
        if (!_recorders.TryGetValue(instrument, out var recorder))
        {
            _recorders[instrument] = recorder = new MetricRecorder(_app!.Services.GetRequiredService<IMeterFactory>(), instrument);
        }

        return recorder;
    }

    /// <summary>Default table configuration of the tests: readings append/up, settings lww/down, items lww/both.</summary>
    public static Dictionary<string, string?> DefaultSettings() => new()
    {
        ["EdgeSync:Tables:readings:Policy"] = "append",
        ["EdgeSync:Tables:readings:Direction"] = "up",
        ["EdgeSync:Tables:settings:Policy"] = "lww",
        ["EdgeSync:Tables:settings:Direction"] = "down",
        ["EdgeSync:Tables:items:Policy"] = "lww",
        ["EdgeSync:SyncIntervalMs"] = "300",
        ["EdgeSync:CaptureIntervalMs"] = "5",
        ["EdgeSync:RetryBaseDelayMs"] = "50",
        ["EdgeSync:RetryMaxDelayMs"] = "400",
        ["EdgeSync:CallTimeoutMs"] = "3000",
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:EdgeSync"] = Environment.GetEnvironmentVariable("EDGESYNC_TEST_LOG") ?? "Warning",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Error",
        ["Logging:LogLevel:Grpc"] = "Error",
    };

    public static async Task<TestAgent> StartAsync(
        string path, string site, IReadOnlyList<string>? peers = null, string? hub = null, AgentRole? role = null,
        IDictionary<string, string?>? settings = null, string? listen = null, string? httpListen = null, LogCollector? logs = null,
        IReadOnlyList<string>? record = null, IReadOnlyList<string>? databases = null, Action<IServiceCollection>? services = null)
    {
        databases ??= [path];
        foreach (var db in databases)
        {
            AppDb.Create(db);
        }

        var all = DefaultSettings();
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            all[k] = v;
        }

        var builder = AgentHost.CreateBuilder([], new AgentLaunchSettings
        {
            Databases = databases,
            Site = site,
            Listen = [listen ?? "http://127.0.0.1:0"],
            HttpListen = [httpListen ?? "http://127.0.0.1:0"],
            Peers = peers ?? [],
            Hub = hub,
            Role = role,
            Settings = all,
        });
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        services?.Invoke(builder.Services);
        var app = AgentHost.Build(builder);
        var meters = app.Services.GetRequiredService<IMeterFactory>();
        var recorders = (record ?? []).ToDictionary(i => i, i => new MetricRecorder(meters, i), StringComparer.Ordinal);
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new TestAgent(path, site, app, AgentHost.Addresses(app), recorders);
    }

    /// <summary>A service of this agent's host.</summary>
    internal T Service<T>()
        where T : notnull => _app!.Services.GetRequiredService<T>();

    /// <summary>A URL nothing listens on (a dead peer).</summary>
    public static string DeadUrl()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return $"http://127.0.0.1:{port}";
    }

    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync(CancellationToken.None);
            foreach (var recorder in _recorders.Values)
            {
                recorder.Dispose();
            }

            await app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Http.Dispose();
    }
}
