namespace EdgeSync.Schema;

/// <summary>The outcome of <see cref="SyncDatabase.ApplyMigration"/>.</summary>
/// <param name="Name">The migration's name.</param>
/// <param name="AlreadyApplied">True when a migration of this name and contents was applied before (nothing was done).</param>
/// <param name="Tables">The synced tables' schemas afterwards.</param>
public sealed record MigrationResult(string Name, bool AlreadyApplied, IReadOnlyList<TableSchemaStatus> Tables);
