namespace EdgeSync.Schema;

/// <summary>A synced table's schema as sync sees it here.</summary>
/// <param name="Table">Table name.</param>
/// <param name="Version">Its schema version here: 1 when sync was enabled, one more per schema change taken since.</param>
/// <param name="Columns">Synced columns, in declaration order.</param>
/// <param name="Drift">Set while a change cannot be carried: sync of the table is stopped.</param>
/// <param name="Stashed">Columns peers send that this table does not take as they are (values kept aside).</param>
public sealed record TableSchemaStatus(string Table, int Version, IReadOnlyList<string> Columns, SchemaDrift? Drift, IReadOnlyList<StashedColumn> Stashed)
{
    /// <summary>True when every change of this table is carried (no drift, no column kept aside for a type conflict).</summary>
    public bool InSync => Drift is null && Stashed.All(s => !s.TypeConflict);
}

/// <summary>Values peers sent for a column this replica does not take as they are.</summary>
/// <param name="Column">Column name.</param>
/// <param name="PeerType">Declared type at the sender.</param>
/// <param name="LocalType">Declared type here, or null when the table has no such column yet (the values are written when it is added).</param>
/// <param name="Values">Rows with a value kept aside.</param>
public sealed record StashedColumn(string Column, string PeerType, string? LocalType, long Values)
{
    /// <summary>True when the column exists here with another declared type: refused, both sides keep their data.</summary>
    public bool TypeConflict => LocalType is not null;
}
