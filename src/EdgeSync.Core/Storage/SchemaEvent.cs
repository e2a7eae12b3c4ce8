using EdgeSync.Schema;

namespace EdgeSync.Storage;

/// <summary>A schema change of a synced table found at capture: carried (<see cref="SchemaEvent.Drift"/> null) or not.</summary>
/// <param name="Table">The table as recorded now.</param>
/// <param name="Added">Columns added.</param>
/// <param name="Dropped">Columns dropped (a renamed column is dropped under its old name).</param>
/// <param name="Retyped">Columns whose declared type changed.</param>
/// <param name="Reinstalled">True when the capture triggers were missing (a rebuild migration) and were installed again.</param>
/// <param name="StashApplied">Values received earlier for the added columns and written now.</param>
/// <param name="MissedWrites">Writes made while the capture triggers were missing or outdated, found from the rows and queued (<see cref="RebuildScan"/>).</param>
/// <param name="TriggersUpdated">True when the capture triggers were all there but not current (an earlier version's, or a unique index created or dropped) and were installed anew.</param>
internal sealed record SchemaEvent(TableInfo Table, IReadOnlyList<string> Added, IReadOnlyList<string> Dropped,
    IReadOnlyList<string> Retyped, bool Reinstalled, int StashApplied, int MissedWrites = 0, bool TriggersUpdated = false)
{
    public SchemaDrift? Drift => Table.Drift;
}
