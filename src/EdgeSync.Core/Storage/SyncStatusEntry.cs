namespace EdgeSync.Storage;

/// <summary>One row of <c>cluster_sync</c>: the last sync with a peer for a table.</summary>
/// <param name="SyncId">"peer/table".</param>
/// <param name="ClusterId">The peer's site id.</param>
/// <param name="Table">Table name.</param>
/// <param name="LastSyncTime">Unix milliseconds of the last successful exchange.</param>
/// <param name="State">"ok" after a successful exchange, otherwise the last error.</param>
public sealed record SyncStatusEntry(string SyncId, string ClusterId, string Table, long LastSyncTime, string State);
