using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EdgeSync.Diagnostics;

namespace EdgeSync.Agent.Tests.Support;

/// <summary>Sums the measurements of one EdgeSync counter by its tags (<c>reason=untrusted,side=server</c>), in this process.</summary>
public sealed class TagRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _sums = new();

    public TagRecorder(string instrument)
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

    /// <summary>The sum for exactly these tags, e.g. <c>Sum("reason=untrusted,side=server")</c> (tags sorted by name).</summary>
    public long Sum(string tags) => _sums.TryGetValue(tags, out long v) ? v : 0;

    public string Dump() => string.Join("; ", _sums.Select(kv => $"{kv.Key}: {kv.Value}"));

    public void Dispose() => _listener.Dispose();
}
