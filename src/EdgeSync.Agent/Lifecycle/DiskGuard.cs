using Microsoft.Extensions.Options;

namespace EdgeSync.Agent.Lifecycle;

/// <summary>
/// The free-space guard: ingest into a database whose volume has less than <see cref="AgentOptions.MinFreeBytes"/>
/// free is refused (507 with <c>Retry-After</c>), so the volume never fills with new rows while sync and retention,
/// which free pages for reuse, go on. Each check reads the probe, so ingest resumes as soon as space is freed.
/// </summary>
internal sealed class DiskGuard(IFreeSpaceProbe probe, IOptions<AgentOptions> options, LifecycleMetrics metrics)
{
    public long MinFreeBytes => options.Value.MinFreeBytes;

    public int RetryAfterSeconds => options.Value.FreeSpaceRetryAfterSeconds;

    /// <summary>Free bytes for <paramref name="database"/>'s file (also published as a gauge), or null when unknown.</summary>
    public long? Probe(string database, string path)
    {
        var free = probe.FreeBytes(path);
        metrics.FreeBytes(database, free, MinFreeBytes);
        return free;
    }

    /// <summary>True when ingest into the database at <paramref name="path"/> must be refused; <paramref name="free"/> is what was seen.</summary>
    public bool IsLow(string database, string path, out long free)
    {
        free = Probe(database, path) ?? long.MaxValue;
        return MinFreeBytes > 0 && free < MinFreeBytes;
    }
}
