using System.Collections.Concurrent;
using EdgeSync.Agent.Diagnostics;

namespace EdgeSync.Agent.Sync;

/// <summary>One <see cref="PushApplier"/> per hosted database (by name), for the agent's lifetime.</summary>
internal sealed class PushAppliers(AgentMetrics metrics) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<PushApplier>> _appliers = new(StringComparer.Ordinal);

    public PushApplier For(string database) =>
        _appliers.GetOrAdd(database, _ => new Lazy<PushApplier>(() => new PushApplier(metrics))).Value;

    /// <summary>Takes no more batches and waits for the batch being applied (queued ones were cancelled with their calls).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var applier in _appliers.Values.Where(a => a.IsValueCreated))
        {
            applier.Value.Complete(); // all at once, then wait for each
        }

        foreach (var applier in _appliers.Values.Where(a => a.IsValueCreated))
        {
            await applier.Value.DisposeAsync().ConfigureAwait(false);
        }
    }
}
