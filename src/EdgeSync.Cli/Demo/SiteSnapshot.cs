namespace EdgeSync.Cli.Demo;

/// <summary>What one site holds once the fleet converged, as the engine reads it from a fresh handle on the file.</summary>
/// <param name="Site">The site.</param>
/// <param name="Checksum">The engine's canonical checksum over the synced tables (<see cref="SyncDatabase.Checksum"/>).</param>
/// <param name="Rows">Telemetry rows held.</param>
/// <param name="Conflicts">Conflict audit records (<see cref="Storage.SyncStatusView.GetConflicts"/>): concurrent writes this site resolved.</param>
internal sealed record SiteSnapshot(DemoSite Site, string Checksum, long Rows, long Conflicts)
{
    /// <summary>Reads a snapshot while the agent keeps running (WAL: a reader sees one committed state).</summary>
    public static SiteSnapshot Read(DemoSite site)
    {
        using var db = SyncDatabase.Open(site.Path);
        using var connection = SiteDatabase.Open(site.Path);
        return new SiteSnapshot(site, db.Checksum(), SiteDatabase.CountTelemetry(connection), db.Status.GetConflicts(int.MaxValue).Count);
    }
}
