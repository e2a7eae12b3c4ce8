using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using EdgeSync.Agent.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent;

/// <summary>
/// Builds a complete agent process: configuration (appsettings, environment, <c>EDGESYNC_*</c> variables, command
/// line, then <see cref="AgentLaunchSettings"/>), structured JSON console logs (framework categories at Warning unless
/// configured otherwise: see <see cref="QuietFrameworkLogs"/>), Kestrel bound to
/// <see cref="AgentOptions.Listen"/> (sync, HTTP/2 h2c) and <see cref="AgentOptions.HttpListen"/> (HTTP/1.1), the
/// agent's services and endpoints.
/// <code>
/// await using var app = AgentHost.Create(args, new AgentLaunchSettings { Databases = ["/data/app.db"], Site = "f1/0",
///     Listen = ["http://0.0.0.0:5000"], HttpListen = ["http://0.0.0.0:8080"], Hub = "http://hq:5000" });
/// await app.RunAsync(cancellationToken);
/// </code>
/// </summary>
public static class AgentHost
{
    /// <summary>
    /// Log levels the agent starts from, below every other configuration source (appsettings, environment, command
    /// line and launch settings override them): ASP.NET Core's and gRPC's per-request lines (about four per sync call)
    /// at Warning, so an idle agent logs state changes only. <c>Logging__LogLevel__Microsoft.AspNetCore=Information</c>
    /// brings them back.
    /// </summary>
    internal static IReadOnlyDictionary<string, string?> QuietFrameworkLogs { get; } = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Grpc"] = "Warning",
        ["Logging:LogLevel:System.Net.Http"] = "Warning",
    };

    /// <summary>A builder with everything registered; add services or configuration, then call <see cref="Build"/>.</summary>
    public static WebApplicationBuilder CreateBuilder(string[] args, AgentLaunchSettings? launch = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = QuietFrameworkLogs });
        if (launch is not null)
        {
            builder.Configuration.AddInMemoryCollection(launch.ToConfiguration());
        }

        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
        builder.Services.AddEdgeSyncAgent(builder.Configuration);
        var binding = new KestrelBinding();
        builder.Services.AddSingleton(binding);
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var section = context.Configuration.GetSection(AgentOptions.SectionName);
            var grpc = section.GetSection(nameof(AgentOptions.Listen)).Get<string[]>() ?? [];
            var http = section.GetSection(nameof(AgentOptions.HttpListen)).Get<string[]>() ?? [];
            if (grpc.Length == 0 && http.Length == 0)
            {
                (grpc, http) = (["http://0.0.0.0:5000"], ["http://0.0.0.0:8080"]);
            }

            bool mutualTls = section.GetSection(nameof(AgentOptions.Tls)).Get<Security.AgentTlsOptions>()?.IsConfigured == true;
            binding.Bind(kestrel, grpc, http, mutualTls);
        });
        return builder;
    }

    /// <summary>Builds the application and maps the agent's endpoints.</summary>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var app = builder.Build();
        app.MapEdgeSyncAgent();
        return app;
    }

    /// <summary><see cref="CreateBuilder"/> then <see cref="Build"/>.</summary>
    public static WebApplication Create(string[] args, AgentLaunchSettings? launch = null) => Build(CreateBuilder(args, launch));

    /// <summary>Where the started agent listens (the real port when port 0 was asked; 127.0.0.1 for a wildcard address).</summary>
    public static AgentAddresses Addresses(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetRequiredService<KestrelBinding>().Addresses;
    }
}
