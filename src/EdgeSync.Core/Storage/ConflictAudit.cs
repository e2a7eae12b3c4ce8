using EdgeSync.Internal;
using EdgeSync.Merge;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// Writes the conflict audit (<c>_edgesync_conflicts</c>): one row per write that lost a merge on this replica, read
/// back by <see cref="SyncStatusView"/>. A prepared statement for the apply transaction, which may record many.
/// </summary>
internal sealed class ConflictAudit : IDisposable
{
    private readonly SqliteCommand _insert;

    public ConflictAudit(SyncStore store) =>
        _insert = Sql.Prepare(store.Db,
            "INSERT INTO _edgesync_conflicts(at_ms, table_name, pk, column_name, rule, winner_value, winner_hlc, winner_site, loser_value, loser_hlc, loser_site) "
            + "VALUES ($at, $tb, $pk, $col, $rule, $wv, $wh, $ws, $lv, $lh, $ls)",
            "$at", "$tb", "$pk", "$col", "$rule", "$wv", "$wh", "$ws", "$lv", "$lh", "$ls");

    /// <summary>Records that <paramref name="conflict"/> was decided at <paramref name="atMs"/> on row <paramref name="keyText"/> of <paramref name="table"/> (<paramref name="column"/>: null for the whole row).</summary>
    public void Add(long atMs, string table, string keyText, string? column, MergeConflict conflict)
    {
        _insert.Set(0, atMs);
        _insert.Set(1, table);
        _insert.Set(2, keyText);
        _insert.Set(3, column);
        _insert.Set(4, RuleName(conflict.Rule));
        _insert.Set(5, conflict.WinnerValue);
        _insert.Set(6, conflict.Winner.Hlc.Value);
        _insert.Set(7, conflict.Winner.Site);
        _insert.Set(8, conflict.LoserValue);
        _insert.Set(9, conflict.Loser.Hlc.Value);
        _insert.Set(10, conflict.Loser.Site);
        _insert.ExecuteNonQuery();
    }

    /// <summary>The rule's name as the audit stores it.</summary>
    internal static string RuleName(ConflictRule rule) => rule switch
    {
        ConflictRule.LastWriterWins => "lww",
        ConflictRule.DeleteWins => "delete-wins",
        _ => "newer-incarnation-wins",
    };

    public void Dispose() => _insert.Dispose();
}
