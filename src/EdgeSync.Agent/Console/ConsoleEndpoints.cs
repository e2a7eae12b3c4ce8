using EdgeSync.Agent.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace EdgeSync.Agent.Console;

/// <summary>
/// The fleet console: <c>GET /ui</c> (the page; <c>/ui/console.js</c>, <c>/ui/console.css</c>), <c>GET /v1/fleet</c>
/// (the whole fleet as this agent sees it) and <c>GET /v1/fleet/{cluster}</c> (one cluster; 404 when unknown). JSON
/// answers carry a strong ETag and answer 304 to a matching <c>If-None-Match</c>. Authenticated like ingest
/// (<see cref="ConsoleAuthentication"/>); read-only.
/// </summary>
internal static class ConsoleEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/ui", Page);
        endpoints.MapGet("/ui/{asset}", (HttpContext http, string asset) =>
            Authenticated(http, () => ConsoleAssets.Find(asset) is { } a && asset != "index.html" ? Serve(http, a) : Results.NotFound()));
        endpoints.MapGet("/v1/fleet", (HttpContext http, FleetSnapshotCache cache) =>
            Authenticated(http, () => Snapshot(http, cache, null)));
        endpoints.MapGet("/v1/fleet/{cluster}", (HttpContext http, FleetSnapshotCache cache, string cluster) =>
            Authenticated(http, () => Snapshot(http, cache, cluster)));
    }

    private static IResult Page(HttpContext http)
    {
        var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("EdgeSync.Agent.Console");
        string remote = http.Connection.RemoteIpAddress?.ToString() ?? "?";
        if (http.Request.Query.ContainsKey("token"))
        {
            if (ConsoleAuthentication.TryLogin(http))
            {
                Log.ConsoleSignedIn(logger, remote);
                return Results.Redirect(http.Request.PathBase + http.Request.Path, permanent: false, preserveMethod: false);
            }

            Log.ConsoleSignInRefused(logger, remote);
        }

        if (ConsoleAuthentication.Check(http) is { } reason)
        {
            http.Response.Headers[HeaderNames.WWWAuthenticate] = Security.RequestAuthentication.Challenge;
            return Results.Content(SignIn(reason), "text/html; charset=utf-8", statusCode: StatusCodes.Status401Unauthorized);
        }

        return Serve(http, ConsoleAssets.Find("index.html")!);
    }

    private static IResult Authenticated(HttpContext http, Func<IResult> next) =>
        ConsoleAuthentication.Check(http) is { } reason ? Security.RequestAuthentication.Unauthorized(http, reason) : next();

    private static IResult Serve(HttpContext http, ConsoleAssets.Asset asset)
    {
        http.Response.Headers[HeaderNames.CacheControl] = "no-cache";
        http.Response.Headers[HeaderNames.XContentTypeOptions] = "nosniff";
        http.Response.Headers["Content-Security-Policy"] =
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
        return WithETag(http, asset.ETag, asset.Bytes, asset.ContentType);
    }

    private static IResult Snapshot(HttpContext http, FleetSnapshotCache cache, string? cluster)
    {
        FleetSnapshotCache.Entry entry;
        try
        {
            entry = cache.Current();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.ConsoleSnapshotFailed(http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("EdgeSync.Agent.Console"), e);
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The fleet snapshot could not be built", detail: e.Message);
        }

        if (cluster is not null)
        {
            if (FleetSnapshotCache.OfCluster(entry.Snapshot, cluster) is not { } view)
            {
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown cluster",
                    detail: $"this agent knows no cluster '{cluster}' (it knows {string.Join(", ", entry.Snapshot.Clusters.Select(c => c.Id))})");
            }

            entry = FleetSnapshotCache.Serialize(view, entry.BuiltAt);
        }

        http.Response.Headers[HeaderNames.CacheControl] = "no-cache";
        return WithETag(http, entry.ETag, entry.Json, "application/json; charset=utf-8");
    }

    private static IResult WithETag(HttpContext http, string etag, byte[] body, string contentType)
    {
        http.Response.Headers[HeaderNames.ETag] = etag;
        foreach (var candidate in http.Request.Headers.IfNoneMatch)
        {
            if (candidate is not null && candidate.Split(',').Any(t => t.Trim() == etag || t.Trim() == "*"))
            {
                return Results.StatusCode(StatusCodes.Status304NotModified);
            }
        }

        return Results.Bytes(body, contentType);
    }

    private static string SignIn(string reason) => $$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>EdgeSync console: sign in</title>
        <meta name="viewport" content="width=device-width, initial-scale=1"></head>
        <body><main>
        <h1>EdgeSync fleet console</h1>
        <p>This agent requires authentication ({{(reason == "invalid_token" ? "the token given is not this agent's" : "no credentials were sent")}}).
        Present a client certificate from the fleet CA, or enter the agent's bearer token (the content of <code>EdgeSync:Auth:TokenFile</code>).</p>
        <form method="get" action="/ui"><label for="token">Token</label> <input id="token" name="token" type="password" autocomplete="off">
        <button type="submit">Sign in</button></form>
        </main></body></html>
        """;
}
