using EdgeSync.Agent.Diagnostics;
using EdgeSync.Agent.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace EdgeSync.Agent.Security;

/// <summary>
/// Authenticates an ingest or admin request: a client certificate verified by the TLS handshake (only a certificate
/// chaining to the fleet CA gets that far) or <c>Authorization: Bearer &lt;token&gt;</c> matching the token file.
/// Open when the agent has neither (<see cref="AgentSecurity.IsOpen"/>).
/// </summary>
internal static class RequestAuthentication
{
    /// <summary>The <c>WWW-Authenticate</c> challenge of a 401.</summary>
    public const string Challenge = "Bearer realm=\"edgesync\"";

    /// <summary>Null when the request may proceed, else why not (<c>missing_credentials</c> or <c>invalid_token</c>), logged and counted.</summary>
    public static string? Check(HttpContext http)
    {
        var security = http.RequestServices.GetRequiredService<AgentSecurity>();
        if (security.IsOpen)
        {
            return null;
        }

        if (security.Tls is not null && http.Connection.ClientCertificate is not null)
        {
            return null; // verified against the fleet CA during the handshake (FleetTls.ForServer)
        }

        string? reason = "missing_credentials";
        string authorization = http.Request.Headers[HeaderNames.Authorization].ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            reason = security.Token is { } token && token.Matches(authorization["Bearer ".Length..].Trim()) ? null : "invalid_token";
        }

        if (reason is not null)
        {
            http.RequestServices.GetRequiredService<AgentMetrics>().IngestRejected("unauthenticated");
            Log.Unauthenticated(security.Logger, http.Request.Method, http.Request.Path, http.Connection.RemoteIpAddress?.ToString() ?? "?", reason);
        }

        return reason;
    }

    /// <summary>The 401 answer: RFC 7807 problem details and a <c>WWW-Authenticate</c> challenge.</summary>
    public static IResult Unauthorized(HttpContext http, string reason)
    {
        http.Response.Headers[HeaderNames.WWWAuthenticate] = reason == "invalid_token" ? Challenge + ", error=\"invalid_token\"" : Challenge;
        return Results.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "Authentication required",
            detail: reason == "invalid_token"
                ? "the bearer token is not this agent's token (EdgeSync:Auth:TokenFile)"
                : "send 'Authorization: Bearer <token>' (the content of EdgeSync:Auth:TokenFile) or a client certificate from the fleet CA");
    }
}
