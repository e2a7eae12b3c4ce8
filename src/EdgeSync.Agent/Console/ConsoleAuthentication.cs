using EdgeSync.Agent.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeSync.Agent.Console;

/// <summary>
/// The console's authentication is ingest's (<see cref="RequestAuthentication"/>: a client certificate from the fleet CA
/// or the bearer token; open only when the agent runs open), plus what a browser can carry: <c>/ui?token=T</c> checks
/// the token once and keeps it in an HttpOnly, SameSite=Strict cookie, so the page and its API calls need nothing else.
/// The cookie is accepted on the console's GET routes only, never on ingest.
/// </summary>
internal static class ConsoleAuthentication
{
    public const string Cookie = "edgesync_console";

    /// <summary>Null when the request may proceed, else why not (as <see cref="RequestAuthentication.Check"/>).</summary>
    public static string? Check(HttpContext http)
    {
        var security = http.RequestServices.GetRequiredService<AgentSecurity>();
        if (!security.IsOpen && security.Token is { } token && http.Request.Cookies.TryGetValue(Cookie, out var value)
            && !string.IsNullOrEmpty(value) && token.Matches(value))
        {
            return null;
        }

        return RequestAuthentication.Check(http);
    }

    /// <summary>
    /// <c>/ui?token=T</c>: when <c>T</c> is the agent's token, sets the cookie and true (the caller redirects to the
    /// URL without it, so the token does not stay in the address bar or history).
    /// </summary>
    public static bool TryLogin(HttpContext http)
    {
        string presented = http.Request.Query["token"].ToString();
        var security = http.RequestServices.GetRequiredService<AgentSecurity>();
        if (presented.Length == 0 || security.Token is not { } token || !token.Matches(presented))
        {
            return false;
        }

        http.Response.Cookies.Append(Cookie, presented, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = http.Request.IsHttps,
            Path = "/",
        });
        return true;
    }
}
