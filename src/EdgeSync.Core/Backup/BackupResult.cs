namespace EdgeSync.Backup;

/// <summary>A finished backup.</summary>
/// <param name="Path">The backup file.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="Duration">How long it took.</param>
/// <param name="TakenAt">The moment of the snapshot it holds.</param>
public sealed record BackupResult(string Path, long Bytes, TimeSpan Duration, DateTimeOffset TakenAt);
