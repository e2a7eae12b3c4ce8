using System.CommandLine;
using EdgeSync.Agent;
using EdgeSync.Cli.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EdgeSync.Cli.Commands;

/// <summary><c>edgesync serve</c>: runs the sync agent (gRPC sync, capture, ingest, metrics) until stopped.</summary>
internal static class ServeCommand
{
    public static Command Create(CliContext context)
    {
        var db = new Option<string[]>("--db")
        {
            Description = "A SQLite database to serve (repeatable); it must have been set up with 'edgesync init'.",
            HelpName = "PATH",
            Arity = ArgumentArity.OneOrMore,
        };
        var dbDir = new Option<string[]>("--db-dir")
        {
            Description = "Serve every *.db file in DIR (repeatable), or the files matching a pattern such as /data/*.sqlite; "
                + "new files are picked up and removed ones let go while serving, and a file that fails to open is reported and skipped.",
            HelpName = "DIR",
            Arity = ArgumentArity.OneOrMore,
        };
        var site = new Option<string?>("--site") { Description = "This replica's site id (checked against the database).", HelpName = "NAME" };
        var listen = new Option<string[]>("--listen")
        {
            Description = "Sync endpoint (gRPC over HTTP/2), e.g. http://0.0.0.0:5000; port 0 picks a free port. Peers connect here.",
            HelpName = "URL",
        };
        var httpListen = new Option<string[]>("--http-listen")
        {
            Description = "HTTP/1.1 endpoint for ingest (POST /v1/tables/{table}/rows), /metrics and /healthz/*, e.g. http://0.0.0.0:8080.",
            HelpName = "URL",
        };
        var peer = new Option<string[]>("--peer") { Description = "A peer's sync URL (repeatable).", HelpName = "URL" };
        var peerDns = new Option<string?>("--peer-dns")
        {
            Description = "NAME:PORT of a headless Service: every address it resolves to is a peer, re-resolved as pods come and go.",
            HelpName = "NAME:PORT",
        };
        var hub = new Option<string?>("--hub") { Description = "The HQ hub's sync URL (this agent is then a factory).", HelpName = "URL" };
        var role = new Option<AgentRole?>("--role") { Description = "hub, factory or peer (default: factory when --hub is set, else peer).", HelpName = "ROLE" };
        var tls = new TlsFlags();
        var tokenFile = new Option<string?>("--token-file")
        {
            Description = "A file holding the bearer token ingest requires ('Authorization: Bearer <token>'; 'edgesync certs token' makes one). "
                + "Ingest also accepts a client certificate from the fleet CA.",
            HelpName = "FILE",
        };
        var command = new Command("serve", "Run the sync agent: capture local commits from any process, sync with peers over gRPC, "
            + "serve ingest, /metrics and health checks. Other settings come from appsettings.json and EDGESYNC_* variables "
            + "(e.g. EDGESYNC_CLUSTER_ID, EdgeSync__Tables__readings__Direction=up).")
        {
            db, dbDir, site, listen, httpListen, peer, peerDns, hub, role, tls.Certificate, tls.Key, tls.Authority, tokenFile,
        };
        command.SetAction(parsed => Run(context, new AgentLaunchSettings
        {
            Settings = SecuritySettings(tls.Read(parsed), parsed.GetValue(tokenFile)),
            Databases = parsed.GetValue(db) ?? [],
            DatabaseDirectories = parsed.GetValue(dbDir) ?? [],
            Site = parsed.GetValue(site),
            Listen = parsed.GetValue(listen) ?? [],
            HttpListen = parsed.GetValue(httpListen) ?? [],
            Peers = parsed.GetValue(peer) ?? [],
            PeerDns = parsed.GetValue(peerDns),
            Hub = parsed.GetValue(hub),
            Role = parsed.GetValue(role),
        }));
        return command;
    }

    private static Dictionary<string, string?> SecuritySettings(Agent.Security.AgentTlsOptions tls, string? tokenFile)
    {
        const string S = AgentOptions.SectionName;
        var settings = new Dictionary<string, string?>();
        if (tls.IsConfigured)
        {
            settings[$"{S}:Tls:CertificateFile"] = tls.CertificateFile;
            settings[$"{S}:Tls:KeyFile"] = tls.KeyFile;
            settings[$"{S}:Tls:CaFile"] = tls.CaFile;
        }

        if (tokenFile is not null)
        {
            settings[$"{S}:Auth:TokenFile"] = tokenFile;
        }

        return settings;
    }

    private static int Run(CliContext context, AgentLaunchSettings settings)
    {
        if (settings.Databases.Count == 0 && settings.DatabaseDirectories.Count == 0)
        {
            throw new CliException(ExitCodes.UsageError, "give a database to serve (--db PATH) or a directory of databases (--db-dir DIR)");
        }

        foreach (var path in settings.Databases)
        {
            Databases.RequireFile(path);
        }

        foreach (var dir in settings.DatabaseDirectories)
        {
            string full = Path.GetFullPath(dir);
            if (!Directory.Exists(full) && !Directory.Exists(Path.GetDirectoryName(full)))
            {
                throw new CliException(ExitCodes.UsageError, $"--db-dir {dir}: no such directory");
            }
        }

        using var app = AgentHost.Create([], settings);
        app.StartAsync(context.CancellationToken).GetAwaiter().GetResult();
        var addresses = AgentHost.Addresses(app);
        context.Out.WriteLine($"edgesync agent serving {string.Join(", ", settings.Databases.Concat(settings.DatabaseDirectories.Select(d => d + " (directory)")))}");
        context.Out.WriteLine($"  sync (gRPC)    {string.Join(", ", addresses.Grpc)}");
        context.Out.WriteLine($"  http           {string.Join(", ", addresses.Http)}  (ingest, /metrics, /healthz/live, /healthz/ready)");
        context.Out.Flush();
        // Ctrl-C or SIGTERM, or the host stopping itself because a background service failed: staying up with sync
        // cancelled would leave a replica that answers nothing, so either way the process ends.
        WaitHandle.WaitAny([context.CancellationToken.WaitHandle, app.Lifetime.ApplicationStopping.WaitHandle]);
        string? failure = null;
        try
        {
            app.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            failure = e.Message;
        }

        failure ??= Failed(app.Services.GetServices<IHostedService>());
        if (failure is not null)
        {
            // Exit non-zero so that Kubernetes or systemd restarts the agent (the log above has the whole exception).
            context.Error.WriteLine($"edgesync: the agent stopped after a failure: {failure}");
            return ExitCodes.InternalError;
        }

        return ExitCodes.Ok;
    }

    /// <summary>The message of the first background service that ended with an exception, if any did.</summary>
    internal static string? Failed(IEnumerable<IHostedService> services) =>
        services.OfType<BackgroundService>().Select(s => s.ExecuteTask).FirstOrDefault(t => t is { IsFaulted: true }) is { } faulted
            ? faulted.Exception!.InnerException?.Message ?? faulted.Exception.Message
            : null;
}
