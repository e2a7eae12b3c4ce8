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
}
