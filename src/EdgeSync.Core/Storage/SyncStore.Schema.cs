using EdgeSync.Internal;
using EdgeSync.Schema;

namespace EdgeSync.Storage;

/// <summary>
/// What the other folders do on the writer connection besides EdgeSync's own tables: read the application's schema
/// (capture's schema check, enabling a table) and run statements on it (the capture triggers' DDL, a migration's SQL).
/// Each runs in the caller's transaction, so the connection itself stays inside Storage.
/// </summary>
internal sealed partial class SyncStore
{
    /// <summary>The shape of the application's table as sync needs it (<see cref="SchemaReader.Read"/>).</summary>
    public SchemaReader.TableShape ReadShape(string table) => SchemaReader.Read(Db, table);

    /// <summary>The table's definition now (<see cref="SchemaReader.Signature"/>), or null when the table is gone.</summary>
    public string? SchemaSignature(string table) => SchemaReader.Signature(Db, table);

    /// <summary>The triggers whose names start with <paramref name="prefix"/>, with their tables.</summary>
    public List<(string Name, string Table)> Triggers(string prefix) => SchemaReader.Triggers(Db, prefix);

    /// <summary>The application table's secondary unique indexes over plain columns (<see cref="SchemaReader.UniqueIndexes"/>).</summary>
    public List<SchemaReader.UniqueIndex> UniqueIndexes(string table) => SchemaReader.UniqueIndexes(Db, table);

    /// <summary>The declared default of <paramref name="column"/> of the application's table (SQL text), or null.</summary>
    public string? ColumnDefault(string table, string column) =>
        SchemaReader.ColumnDefault(Db, table, column);

    /// <summary>Runs <paramref name="sql"/> (one or more statements on the application's schema) in the caller's transaction.</summary>
    public void Execute(string sql) => Sql.Exec(Db, sql);

    /// <summary>The writer connection's <c>PRAGMA data_version</c>: it moves when another connection commits.</summary>
    public long DataVersion() => (long)Sql.Scalar(Db, "PRAGMA data_version")!;
}
