namespace EdgeSync.Schema;

/// <summary>A table that sync is enabled on.</summary>
/// <param name="Name">Table name as declared.</param>
/// <param name="Id">Local numeric id, used in metadata tables (not meaningful across replicas).</param>
/// <param name="Policy">Merge policy.</param>
/// <param name="Mode">How inserts are captured.</param>
/// <param name="Columns">Synced columns in declaration order (generated columns are not synced).</param>
/// <param name="PrimaryKey">Indexes into <paramref name="Columns"/> of the primary key, in key order.</param>
public sealed record TableInfo(
    string Name,
    int Id,
    TablePolicy Policy,
    CaptureMode Mode,
    IReadOnlyList<string> Columns,
    IReadOnlyList<int> PrimaryKey)
{
    /// <summary>True when the key is a single column.</summary>
    public bool HasSingleKey => PrimaryKey.Count == 1;

    /// <summary>Declared type of each column of <see cref="Columns"/> as written in its CREATE TABLE or ALTER TABLE ("" when none).</summary>
    public IReadOnlyList<string> DeclaredTypes { get; init; } = [];

    /// <summary>The table's schema version here: 1 when sync was enabled, one more for each schema change taken since.</summary>
    public int SchemaVersion { get; init; } = 1;

    /// <summary>Set when a schema change made here cannot be carried: sync of this table is stopped until it is resolved.</summary>
    public SchemaDrift? Drift { get; init; }

    /// <summary>Columns dropped here since sync was enabled; values peers still send for them are ignored.</summary>
    public IReadOnlyList<string> DroppedColumns { get; init; } = [];

    /// <summary>Width of row clocks stored in the first format (the column count before the table's first schema change); -1 when none were.</summary>
    internal int LegacyClockWidth { get; init; } = -1;

    /// <summary>The declared type of column <paramref name="name"/> here, or null when the table has no such column.</summary>
    public string? DeclaredTypeOf(string name)
    {
        for (int i = 0; i < Columns.Count; i++)
        {
            if (string.Equals(Columns[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return i < DeclaredTypes.Count ? DeclaredTypes[i] : "";
            }
        }

        return null;
    }
}
