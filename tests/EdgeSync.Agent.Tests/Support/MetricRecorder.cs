using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EdgeSync.Diagnostics;

namespace EdgeSync.Agent.Tests.Support;

/// <summary>
/// Sums the measurements of one EdgeSync counter by their tags, in this process (tests give each agent a unique
/// site). Tags are kept as sorted <c>name=value</c> pairs, e.g. <c>reason=untrusted,side=server</c>.
/// </summary>
public sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _sums = new();

    public MetricRecorder(string instrument)
    {
        _listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == EdgeSyncMetrics.MeterName && i.Name == instrument)
            {
                l.EnableMeasurementEvents(i);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var key = new List<string>();
            foreach (var t in tags)
            {
                key.Add($"{t.Key}={t.Value}");
            }

            key.Sort(StringComparer.Ordinal);
            _sums.AddOrUpdate(string.Join(",", key), value, (_, v) => v + value);
        });
        _listener.Start();
    }

    /// <summary>The sum for measurements tagged with this site (and peer, when given), whatever their other tags.</summary>
    public long Sum(string site, string? peer = null) =>
        _sums.Where(kv => Has(kv.Key, "site", site) && (peer is null || Has(kv.Key, "peer", peer))).Sum(kv => kv.Value);

    /// <summary>The sum for exactly these tags, e.g. <c>SumTags("reason=untrusted,side=server")</c> (sorted by name).</summary>
    public long SumTags(string tags) => _sums.TryGetValue(tags, out long v) ? v : 0;

    public string Dump() => string.Join("; ", _sums.Select(kv => $"{kv.Key}: {kv.Value}"));

    private static bool Has(string key, string name, string value) =>
        key.Split(',').Contains($"{name}={value}", StringComparer.Ordinal);

    public void Dispose() => _listener.Dispose();
}
