using EdgeSync.Agent.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace EdgeSync.Agent;

/// <summary>Endpoint conventions of the agent.</summary>
public static class AgentEndpointConventionBuilderExtensions
{
    /// <summary>
    /// Requires the agent's authentication on these endpoints (what ingest uses; use it for admin endpoints too): a
    /// client certificate from the fleet CA or <c>Authorization: Bearer &lt;token&gt;</c> from
    /// <see cref="AgentAuthOptions.TokenFile"/>; otherwise 401 with problem details and a <c>WWW-Authenticate</c>
    /// challenge. Open when neither TLS nor a token file is configured.
    /// </summary>
    public static TBuilder RequireEdgeSyncAuthentication<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddEndpointFilter(async (context, next) =>
            RequestAuthentication.Check(context.HttpContext) is { } reason
                ? (object?)RequestAuthentication.Unauthorized(context.HttpContext, reason)
                : await next(context).ConfigureAwait(false));
        return builder;
    }
}
