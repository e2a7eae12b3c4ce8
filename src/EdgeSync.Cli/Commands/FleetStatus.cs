using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using EdgeSync.Agent.Console;
using EdgeSync.Agent.Security;
using EdgeSync.Cli.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace EdgeSync.Cli.Commands;

/// <summary>
/// <c>edgesync status --fleet --peer URL [--token T | --tls-cert C --tls-key K --tls-ca CA]</c>: the fleet console in a terminal. Reads the agent's
/// <c>/v1/fleet</c> (or <c>/v1/fleet/{cluster}</c>) and prints, problems first, the clusters, the replicas that are not
/// ok and the tables with conflicts or drift. Exit 0 when no alert rule would fire, 1 when a problem is listed.
/// </summary>
internal static class FleetStatus
{
    /// <summary>Widest table when the output is not a terminal (a pipe or a file).</summary>
    private const int PipeWidth = 160;

    public static int Run(CliContext context, string peer, string? token, string? cluster, bool json, AgentTlsOptions? tls = null)
    {
        if (!Uri.TryCreate(peer.TrimEnd('/'), UriKind.Absolute, out var baseUri) || (baseUri.Scheme != "http" && baseUri.Scheme != "https"))
        {
            throw new CliException(ExitCodes.UsageError, $"--peer must be the agent's HTTP URL (http://host:8080), not '{peer}'");
        }

        if (tls is { IsConfigured: true } && baseUri.Scheme != "https")
        {
            throw new CliException(ExitCodes.UsageError, $"--tls-cert/--tls-key/--tls-ca need an https:// peer URL, not '{peer}'");
        }

        string path = cluster is null ? "/v1/fleet" : "/v1/fleet/" + Uri.EscapeDataString(cluster);
        using var metrics = new Agent.Diagnostics.AgentMetrics();
        string? refused = null;
        using var http = new HttpClient(Handler(tls, baseUri, metrics, r => refused = r)) { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, path));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        HttpResponseMessage response;
        try
        {
            response = http.Send(request, context.CancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new CliException(ExitCodes.IoError, refused is null
                ? $"cannot reach {baseUri}: {e.Message}"
                : $"refused {baseUri}'s certificate ({refused}): is it from the fleet CA given with --tls-ca?");
        }

        using (response)
        {
            string body = response.Content.ReadAsStringAsync(context.CancellationToken).GetAwaiter().GetResult();
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                throw new CliException(ExitCodes.UsageError, $"{baseUri} requires authentication: pass --token (the content of its EdgeSync:Auth:TokenFile)"
                    + (baseUri.Scheme == "https" ? ", or this site's certificate from the fleet CA (--tls-cert, --tls-key, --tls-ca)" : ""));
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new CliException(ExitCodes.CheckFailed, $"{baseUri}{path.TrimStart('/')} answered {(int)response.StatusCode}: {Detail(body)}");
            }

            var snapshot = JsonSerializer.Deserialize(body, FleetJson.Default.FleetSnapshot)
                ?? throw new CliException(ExitCodes.CheckFailed, $"{baseUri} sent an empty fleet");
            if (json)
            {
                context.Out.WriteLine(body);
            }
            else
            {
                Print(Terminal(context.Out), snapshot);
            }

            return snapshot.Problems.Count == 0 ? ExitCodes.Ok : ExitCodes.CheckFailed;
        }
    }

    /// <summary>
    /// The handler of the request: with <paramref name="tls"/>, it presents this site's certificate and accepts only an
    /// agent whose certificate comes from the fleet CA (the agent's own check, <see cref="FleetTls"/>).
    /// </summary>
    private static SocketsHttpHandler Handler(AgentTlsOptions? tls, Uri baseUri, Agent.Diagnostics.AgentMetrics metrics, Action<string> refused)
    {
        if (tls is not { IsConfigured: true })
        {
            return new SocketsHttpHandler();
        }

        FleetTls fleet;
        try
        {
            fleet = new FleetTls(new TlsFiles(tls, NullLogger.Instance, TimeProvider.System), NullLogger.Instance, TimeProvider.System, metrics);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new CliException(ExitCodes.IoError, $"cannot read the TLS files: {e.Message}");
        }

        var ssl = fleet.ForClient(baseUri.ToString(), _ => { }, refused);
        ssl.ApplicationProtocols = null; // the handler negotiates HTTP/1.1 or HTTP/2 itself
        return new SocketsHttpHandler { SslOptions = ssl };
    }

    private static IAnsiConsole Terminal(TextWriter output)
    {
        bool tty = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = tty ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = tty ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (!tty)
        {
            console.Profile.Width = PipeWidth;
        }

        return console;
    }

    internal static void Print(IAnsiConsole console, FleetSnapshot s)
    {
        console.MarkupLine($"[bold]fleet[/] as {Markup.Escape(s.Agent.Site)} ({s.Agent.Role} of {Markup.Escape(s.Agent.Cluster)}) sees it");
        if (s.Problems.Count == 0)
        {
            console.MarkupLine("[green]no problems[/]: no alert rule would fire");
        }
        else
        {
            var problems = new Table { Title = new TableTitle($"PROBLEMS ({s.Problems.Count})") }
                .AddColumns("SEVERITY", "ALERT", "WHERE", "WHAT", "RUNBOOK");
            foreach (var p in s.Problems)
            {
                string color = p.Severity == "critical" ? "red" : "yellow";
                problems.AddRow($"[{color}]{Markup.Escape(p.Severity)}[/]", Markup.Escape(p.Alert),
                    Markup.Escape(string.Join(" ", new[] { p.Site ?? p.Cluster, p.Database, p.Table }.Where(x => x is not null))),
                    Markup.Escape(p.Summary), Markup.Escape(p.Runbook));
            }

            console.Write(problems);
        }

        var clusters = new Table { Title = new TableTitle("CLUSTERS") }.AddColumns("CLUSTER", "ROLE", "STATE", "REPLICAS", "CHANGES BEHIND", "WORST LAG");
        foreach (var c in s.Clusters)
        {
            clusters.AddRow(Markup.Escape(c.Id), c.Role, State(c.State),
                string.Join(", ", c.Replicas.GroupBy(r => r.State).Select(g => $"{g.Count()} {g.Key}")),
                Format.N(c.Replicas.Sum(r => r.Backlog)), $"{c.Replicas.Select(r => r.LagSeconds).DefaultIfEmpty(0).Max()} s");
        }

        console.Write(clusters);
        var notOk = s.Clusters.SelectMany(c => c.Replicas).Where(r => r.State is not ("ok" or "self")).ToList();
        if (notOk.Count > 0)
        {
            var replicas = new Table { Title = new TableTitle("REPLICAS NOT OK") }.AddColumns("REPLICA", "STATE", "LINK", "CHANGES BEHIND", "LAG", "LAST SYNC", "LAST ERROR");
            foreach (var r in notOk)
            {
                replicas.AddRow(Markup.Escape(r.Site), State(r.State), r.Link, Format.N(r.Backlog), $"{r.LagSeconds} s",
                    r.LastSuccess is { } t ? Format.Iso(t.ToUnixTimeMilliseconds()) : "never", Markup.Escape(r.LastError ?? ""));
            }

            console.Write(replicas);
        }

        var databases = new Table { Title = new TableTitle("DATABASES") }.AddColumns("DATABASE", "TABLE", "POLICY", "DIRECTION", "SCHEMA", "RECENT CONFLICTS", "LATEST DECISION");
        foreach (var d in s.Databases)
        {
            foreach (var t in d.Tables)
            {
                var latest = t.Conflicts.Count > 0 ? t.Conflicts[0] : null;
                databases.AddRow(Markup.Escape(d.Name), Markup.Escape(t.Name), t.Policy, t.Direction,
                    t.Drift is null ? $"v{t.SchemaVersion}" : $"[red]v{t.SchemaVersion} drift: {Markup.Escape(t.Drift)}[/]", Format.N(t.RecentConflicts),
                    latest is null ? "" : Markup.Escape($"{latest.Key}{(latest.Column is null ? "" : "." + latest.Column)}: {latest.Rule} kept {latest.Winner ?? "(deleted)"} from {latest.WinnerSite} over {latest.Loser ?? "(row)"} from {latest.LoserSite}"));
            }
        }

        console.Write(databases);
    }

    private static string State(string state) => state switch
    {
        "cut" => "[red]cut[/]",
        "behind" => "[yellow]behind[/]",
        _ => $"[green]{state}[/]",
    };

    private static string Detail(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("detail", out var d) ? d.GetString() ?? body : body;
        }
        catch (JsonException)
        {
            return body;
        }
    }
}
