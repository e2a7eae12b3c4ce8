using Microsoft.Extensions.Options;

namespace EdgeSync.Agent.Lifecycle;

/// <summary>
/// The free-space guard: ingest into a database whose volume has less than <see cref="AgentOptions.MinFreeBytes"/>
/// free, counting the free pages inside the database file, is refused (507 with <c>Retry-After</c>), so the volume never
/// fills with new rows while sync and retention, which free pages for reuse, go on. Each check reads the probe, so
/// ingest resumes as soon as space is freed.
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

    /// <summary>
    /// True when ingest into <paramref name="db"/> must be refused; <paramref name="free"/> is what was seen. Below the
    /// watermark the database's own free pages count too (<see cref="SyncDatabase.ReusableBytes"/>): once retention has
    /// emptied most of a file that filled the volume, new rows go into that file's free pages, and refusing them would
    /// stop the factory for good (the file never shrinks).
    /// </summary>
    public bool IsLow(string database, SyncDatabase db, out long free)
    {
        free = Probe(database, db.Path) ?? long.MaxValue;
        if (MinFreeBytes <= 0 || free >= MinFreeBytes)
        {
            return false;
        }

        free += db.ReusableBytes();
        return free < MinFreeBytes;
    }
}
