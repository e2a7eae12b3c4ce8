using System.Diagnostics.Metrics;
using EdgeSync.Diagnostics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace EdgeSync.Agent.Tests.Support;

/// <summary>
/// The measurements of one EdgeSync counter of ONE agent (the <see cref="IMeterFactory"/> of its host), summed by their
/// tags: tests running in parallel each see only their own agent's. Tags are matched as sorted <c>name=value</c> pairs,
/// e.g. <c>reason=untrusted,side=server</c>.
/// </summary>
public sealed class MetricRecorder : IDisposable
{
    private readonly MetricCollector<long> _collector;

    public MetricRecorder(IMeterFactory meterFactory, string instrument)
    {
        _collector = new MetricCollector<long>(meterFactory, EdgeSyncMetrics.MeterName, instrument);
    }

    /// <summary>The sum for measurements tagged with this site (and peer, when given), whatever their other tags.</summary>
    public long Sum(string site, string? peer = null) =>
        Sums().Where(kv => Has(kv.Key, "site", site) && (peer is null || Has(kv.Key, "peer", peer))).Sum(kv => kv.Value);

    /// <summary>The sum for exactly these tags, e.g. <c>SumTags("reason=untrusted,side=server")</c> (sorted by name).</summary>
    public long SumTags(string tags) => Sums().TryGetValue(tags, out long v) ? v : 0;

    /// <summary>For a gauge: the last value recorded with these tags (sorted <c>name=value</c> pairs), or null when none was.</summary>
    public long? Last(string tags) => _collector.GetMeasurementSnapshot()
        .Where(m => string.Join(",", m.Tags.Select(t => $"{t.Key}={t.Value}").Order(StringComparer.Ordinal)) == tags)
        .Select(m => (long?)m.Value).LastOrDefault();

    /// <summary>The sum for measurements carrying every one of <paramref name="pairs"/> (<c>name=value</c>), whatever their other tags.</summary>
    public long SumWith(params string[] pairs) =>
        Sums().Where(kv => pairs.All(p => kv.Key.Split(',').Contains(p, StringComparer.Ordinal))).Sum(kv => kv.Value);

    public string Dump() => string.Join("; ", Sums().Select(kv => $"{kv.Key}: {kv.Value}"));

    private Dictionary<string, long> Sums()
    {
        var sums = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var m in _collector.GetMeasurementSnapshot())
        {
            var key = string.Join(",", m.Tags.Select(t => $"{t.Key}={t.Value}").Order(StringComparer.Ordinal));
            sums[key] = sums.GetValueOrDefault(key) + m.Value;
        }

        return sums;
    }

    private static bool Has(string key, string name, string value) =>
        key.Split(',').Contains($"{name}={value}", StringComparer.Ordinal);

    public void Dispose() => _collector.Dispose();
}
