using EdgeSync.Agent.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.CommandLine;

namespace EdgeSync.Agent;

/// <summary>Configuration sources of the agent.</summary>
public static class AgentConfigurationExtensions
{
    /// <summary>
    /// Adds the <c>EDGESYNC_*</c> environment variables (e.g. <c>EDGESYNC_CLUSTER_ID</c> from the cluster ConfigMap)
    /// as keys of the <c>EdgeSync</c> section, below the command line (flags still win). Idempotent.
    /// </summary>
    public static IConfigurationBuilder AddEdgeSyncEnvironmentVariables(this IConfigurationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Sources.OfType<EdgeSyncEnvironmentSource>().Any())
        {
            return builder;
        }

        int commandLine = builder.Sources.ToList().FindIndex(s => s is CommandLineConfigurationSource);
        if (commandLine >= 0)
        {
            builder.Sources.Insert(commandLine, new EdgeSyncEnvironmentSource());
        }
        else
        {
            builder.Add(new EdgeSyncEnvironmentSource());
        }

        return builder;
    }
}
