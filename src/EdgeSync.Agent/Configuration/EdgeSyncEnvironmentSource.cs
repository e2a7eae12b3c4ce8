using System.Collections;
using Microsoft.Extensions.Configuration;

namespace EdgeSync.Agent.Configuration;

/// <summary>
/// Maps <c>EDGESYNC_*</c> environment variables (the cluster ConfigMap's keys with an <c>EDGESYNC_</c> prefix:
/// <c>EDGESYNC_CLUSTER_ID</c>, <c>EDGESYNC_REGION</c>, <c>EDGESYNC_NODE_COUNT</c>, <c>EDGESYNC_STORAGE_CLASS</c>, and any
/// other option such as <c>EDGESYNC_SITE</c>, <c>EDGESYNC_PEER_DNS</c>, <c>EDGESYNC_SYNC_INTERVAL_MS</c>) onto the
/// <c>EdgeSync</c> section. Underscores are dropped and case is ignored, so <c>EDGESYNC_cluster_id</c> works too.
/// List options (<c>EDGESYNC_PEERS</c>, <c>EDGESYNC_DATABASES</c>, <c>EDGESYNC_LISTEN</c>, <c>EDGESYNC_HTTP_LISTEN</c>) are comma-separated.
/// </summary>
internal sealed class EdgeSyncEnvironmentSource : IConfigurationSource
{
    public const string Prefix = "EDGESYNC_";

    private static readonly string[] ListKeys =
        [nameof(AgentOptions.Peers), nameof(AgentOptions.Databases), nameof(AgentOptions.Listen), nameof(AgentOptions.HttpListen)];

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider();

    private sealed class Provider : ConfigurationProvider
    {
        public override void Load()
        {
            var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
            {
                if (e.Key is not string name || !name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || e.Value is not string value)
                {
                    continue;
                }

                string key = name[Prefix.Length..].Replace("_", "", StringComparison.Ordinal);
                if (key.Length == 0)
                {
                    continue;
                }

                string? list = ListKeys.FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
                if (list is not null)
                {
                    var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    for (int i = 0; i < items.Length; i++)
                    {
                        data[$"{AgentOptions.SectionName}:{list}:{i}"] = items[i];
                    }
                }
                else
                {
                    data[$"{AgentOptions.SectionName}:{key}"] = value;
                }
            }

            Data = data;
        }
    }
}
