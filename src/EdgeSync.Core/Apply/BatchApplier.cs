using EdgeSync.Capture;
using EdgeSync.Clocks;
using EdgeSync.Errors;
using EdgeSync.Internal;
using EdgeSync.Merge;
using EdgeSync.Protocol;
using EdgeSync.Storage;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Apply;

/// <summary>
/// Applies a remote <see cref="ChangeBatch"/> in one write transaction together with the advanced version vector,
/// the conflict audit and <c>cluster_sync</c>, so a crash at any point leaves either all of it or none. Local
/// changes are sealed first, so remote states merge against clocked local writes. Triggers are muted for the
/// transaction (no echo); applied changes are logged under their original origin so they can be relayed.
/// </summary>
internal sealed class BatchApplier
{
    private readonly SyncStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxClockDrift;
    private readonly Dictionary<TableStore, Dictionary<string, List<long>>> _appended = [];

    public BatchApplier(SyncStore store, TimeProvider time, TimeSpan maxClockDrift)
    {
        _store = store;
        _time = time;
        _maxClockDrift = maxClockDrift;
    }

    public ApplyResult Apply(ChangeBatch batch, string peer)
    {
        var plans = batch.Tables.Select(Plan).ToList();
        CheckClockDrift(batch);
        foreach (var (site, floor) in _store.Floor)
        {
            var name = _store.Sites.NameOf(site);
            if (batch.SenderVector[name] < floor)
            {
                throw new SyncStateException(ErrorCode.StaleBatch,
                    $"batch from '{batch.Sender}' was extracted before changes of '{name}' up to {floor} that this replica has already compacted; request a fresh batch");
            }
        }

        try
        {
            _store.Begin();
            Sealer.Seal(_store);
            Sql.Exec(_store.Db, "INSERT OR IGNORE INTO _edgesync_ctx(k) VALUES (1)");
            var result = ApplyRows(batch, plans);
            AdvanceVector(batch);
            RecordPeer(peer, batch);
            foreach (var (t, rowids) in _appended)
            {
                AppendScanner.RecordRemoteRows(_store, t, rowids);
            }

            foreach (var (t, _) in plans.Where(p => p.Table.Info.Mode == Schema.CaptureMode.RowidScan && p.Table.Info.Policy == Schema.TablePolicy.Lww))
            {
                Sql.Scalar(_store.Db, $"UPDATE _edgesync_tables SET wm = max(wm, coalesce((SELECT max(rowid) FROM {t.QuotedName}), 0)) WHERE tid = $t",
                    ("$t", (long)t.Info.Id));
            }

            Sql.Exec(_store.Db, "DELETE FROM _edgesync_ctx; DELETE FROM _edgesync_pending"); // only this transaction's own inserts
            _store.Commit();
            return result;
        }
        catch (SqliteException e) when (StorageException.IsStorageError(e))
        {
            _store.Rollback();
            throw new StorageException(_store.Db.DataSource, e);
        }
        catch (SqliteException e)
        {
            _store.Rollback();
            throw new InvalidBatchException($"batch from '{batch.Sender}' could not be applied and was rolled back: {e.Message}", e);
        }
        catch
        {
            _store.Rollback();
            throw;
        }
    }

    private void CheckClockDrift(ChangeBatch batch)
    {
        long limit = (_time.GetUtcNow() + _maxClockDrift).ToUnixTimeMilliseconds();
        foreach (var set in batch.Tables)
        {
            foreach (var row in set.Rows)
            {
                foreach (var c in row.State.Clocks)
                {
                    CheckClock(batch, c.Hlc, c.Site, limit);
                }
            }

            foreach (var run in set.Runs)
            {
                CheckClock(batch, run.Hlc, run.Site, limit);
            }
        }
    }

    private void CheckClock(ChangeBatch batch, Hlc hlc, string site, long limit)
    {
        if (hlc.Milliseconds > limit)
        {
            throw new InvalidBatchException(
                $"batch from '{batch.Sender}' has a change from '{site}' stamped {hlc}, more than {_maxClockDrift.TotalMinutes:0.#} minutes "
                + "ahead of this replica's clock; fix the clock of that site (NTP) — nothing of the batch was applied");
        }
    }

    private (TableStore Table, int[] Map) Plan(TableChangeSet set)
    {
        var t = _store.FindTable(set.Table) ?? throw new InvalidBatchException(
            $"batch has changes for table '{set.Table}', which is not synced here; enable sync on it with the same schema on every replica");
        if (set.Columns.Count != t.ColumnCount)
        {
            throw new InvalidBatchException(
                $"table '{t.Info.Name}' has {t.ColumnCount} synced columns here but {set.Columns.Count} at the sender; the schemas differ");
        }

        var map = new int[set.Columns.Count];
        for (int i = 0; i < map.Length; i++)
        {
            int local = -1;
            for (int j = 0; j < t.ColumnCount; j++)
            {
                if (string.Equals(t.Info.Columns[j], set.Columns[i], StringComparison.OrdinalIgnoreCase))
                {
                    local = j;
                }
            }

            map[i] = local >= 0 ? local : throw new InvalidBatchException(
                $"table '{t.Info.Name}' has no column '{set.Columns[i]}' here; the schemas differ");
            if (Array.IndexOf(map, local, 0, i) >= 0)
            {
                throw new InvalidBatchException($"table '{t.Info.Name}': the batch names column '{set.Columns[i]}' twice");
            }
        }

        if (set.KeyColumns.Count != t.Info.PrimaryKey.Count
            || set.KeyColumns.Where((k, i) => !string.Equals(k, t.KeyNames[i], StringComparison.OrdinalIgnoreCase)).Any())
        {
            throw new InvalidBatchException(
                $"table '{t.Info.Name}' has primary key ({string.Join(", ", t.KeyNames)}) here but ({string.Join(", ", set.KeyColumns)}) at the sender");
        }

        foreach (var run in set.Runs)
        {
            CheckRun(t, map, run);
        }

        foreach (var row in set.Rows)
        {
            if (row.Key.Length != t.Info.PrimaryKey.Count || row.Key.Any(k => k is null)
                || (!row.State.IsDeleted && row.State.Values!.Length != t.ColumnCount))
            {
                throw new InvalidBatchException($"table '{t.Info.Name}': a row has a malformed key or the wrong number of values");
            }

            if (row.Key.Any(k => k is double.NaN) || row.State.Values?.Any(v => v is double.NaN) == true)
            {
                throw new InvalidBatchException($"table '{t.Info.Name}': a row has a NaN value, which SQLite cannot store");
            }

            // The key must be the row's own key columns: rows are written by their values and their metadata by the key.
            for (int k = 0; k < row.Key.Length && !row.State.IsDeleted; k++)
            {
                int column = Array.IndexOf(map, t.Info.PrimaryKey[k]);
                if (!SqlValue.AreEqual(row.Key[k], row.State.Values![column]))
                {
                    throw new InvalidBatchException(
                        $"table '{t.Info.Name}': row {TableStore.KeyText(row.Key)} carries a different value in key column '{t.KeyNames[k]}'");
                }
            }
        }

        return (t, map);
    }

    /// <summary>The checks every row state gets, for an insert run: shape, storable values, and rowids equal to the key column.</summary>
    private static void CheckRun(TableStore t, int[] map, InsertRun run)
    {
        if (run.Columns.Count != t.ColumnCount || t.Info.PrimaryKey.Count != 1)
        {
            throw new InvalidBatchException($"table '{t.Info.Name}': an insert run has {run.Columns.Count} columns for {t.ColumnCount} here, or the table's key is not a single rowid");
        }

        int key = Array.IndexOf(map, t.Info.PrimaryKey[0]);
        for (int c = 0; c < run.Columns.Count; c++)
        {
            var column = run.Columns[c];
            for (int i = 0; i < run.Count; i++)
            {
                if (column.TypeAt(i) == ValueTag.Real && double.IsNaN(column.DoubleAt(i)))
                {
                    throw new InvalidBatchException($"table '{t.Info.Name}': a row has a NaN value, which SQLite cannot store");
                }

                if (c == key && (column.TypeAt(i) != ValueTag.Integer || column.Int64At(i) != run.Rowids[i]))
                {
                    throw new InvalidBatchException(
                        $"table '{t.Info.Name}': row ({run.Rowids[i]}) of an insert run carries a different value in key column '{t.KeyNames[0]}'");
                }
            }
        }
    }

    private ApplyResult ApplyRows(ChangeBatch batch, List<(TableStore Table, int[] Map)> plans)
    {
        var counts = new Counts();
        using var log = Sql.Prepare(_store.Db,
            "INSERT OR IGNORE INTO _edgesync_log(site, seq, tid, pk, span, hlc) VALUES ($s, $q, $t, $pk, 0, $h)",
            "$s", "$q", "$t", "$pk", "$h");
        using var audit = Sql.Prepare(_store.Db,
            "INSERT INTO _edgesync_conflicts(at_ms, table_name, pk, column_name, rule, winner_value, winner_hlc, winner_site, loser_value, loser_hlc, loser_site) "
            + "VALUES ($at, $tb, $pk, $col, $rule, $wv, $wh, $ws, $lv, $lh, $ls)",
            "$at", "$tb", "$pk", "$col", "$rule", "$wv", "$wh", "$ws", "$lv", "$lh", "$ls");
        for (int i = 0; i < batch.Tables.Count; i++)
        {
            var (t, map) = plans[i];
            var set = batch.Tables[i];
            var fast = t.Info is { Policy: Schema.TablePolicy.Append, Mode: Schema.CaptureMode.RowidScan } ? new List<(long Rowid, CellClock Clock)>() : null;
            var freshRuns = new List<AppendRanges.InsertedRun>();
            foreach (var row in set.Rows)
            {
                ApplyRow(t, map, row, fast, log, audit, counts);
            }

            if (set.Runs.Count > 0)
            {
                ApplyRuns(t, map, set.Runs, fast, freshRuns, log, audit, counts);
            }

            if (fast is { Count: > 0 } || freshRuns.Count > 0)
            {
                AppendRanges.Record(_store, t, fast!, freshRuns, (rowid, clock) =>
                {
                    var stored = t.StoredKey([rowid]);
                    var values = t.SelectRow([rowid]) ?? throw new InvalidDataException($"row {rowid} vanished during apply");
                    var single = RowState.Alive(1, values, Enumerable.Repeat(clock, t.ColumnCount).ToArray());
                    t.PutMeta(stored, single);
                    LogEvents(log, t, stored, single);
                });
            }
        }

        return new ApplyResult(counts.Applied, counts.Skipped, counts.Conflicts);
    }

    private sealed class Counts
    {
        public int Applied;
        public int Skipped;
        public int Conflicts;
    }

    /// <summary>
    /// Insert runs: into an <c>append</c> table, each row not yet held is inserted straight from the run's columns and
    /// kept as part of a range; a row whose key already exists here goes through the merge like any row state.
    /// Into any other table every row goes through the merge.
    /// </summary>
    private void ApplyRuns(TableStore t, int[] map, IReadOnlyList<InsertRun> runs, List<(long Rowid, CellClock Clock)>? fast,
        List<AppendRanges.InsertedRun> freshRuns, SqliteCommand log, SqliteCommand audit, Counts counts)
    {
        if (fast is null)
        {
            foreach (var run in runs)
            {
                for (int r = 0; r < run.Count; r++)
                {
                    ApplyRow(t, map, run.Materialize(r), null, log, audit, counts);
                }
            }

            return;
        }

        using var insert = new RawStatement(_store.Db,
            $"INSERT OR IGNORE INTO {t.QuotedName}({string.Join(", ", t.Info.Columns.Select(Sql.Quote))}) "
            + $"VALUES ({string.Join(", ", Enumerable.Range(1, t.ColumnCount).Select(n => "?" + n))})");
        using var occupied = new RawStatement(_store.Db, $"SELECT EXISTS (SELECT 1 FROM {t.QuotedName} WHERE rowid BETWEEN ?1 AND ?2)");
        foreach (var run in runs)
        {
            long seen = _store.Sites.TryGetIndex(run.Site, out int site) ? _store.Seen(site) : 0;
            if (run.LastSeq <= seen)
            {
                counts.Skipped += run.Count;
                continue;
            }

            int from = 0;
            while (run.SeqAt(from) <= seen)
            {
                from++;
            }

            counts.Skipped += from;
            _store.Clock.Observe(run.Hlc);
            var appended = AppendedRows(t, run.Site);

            // Nothing in the run's span yet (the usual case): every row inserts, so no per-row outcome to check.
            occupied.BindInt64(0, run.Rowids[from]);
            occupied.BindInt64(1, run.Rowids[run.Count - 1]);
            occupied.Step();
            bool fresh = occupied.ColumnInt64(0) == 0;
            occupied.Reset();
            for (int r = from; r < run.Count; r++)
            {
                for (int c = 0; c < map.Length; c++)
                {
                    insert.Bind(map[c], run.Columns[c], r);
                }

                if (insert.Execute() == 1)
                {
                    appended.Add(run.Rowids[r]);
                    if (!fresh)
                    {
                        fast.Add((run.Rowids[r], run.ClockAt(r)));
                        counts.Applied++;
                    }

                    continue;
                }

                if (fresh)
                {
                    // Not inserted after all (a constraint on another column): the rows before it are ordinary inserts.
                    fresh = false;
                    for (int k = from; k < r; k++)
                    {
                        fast.Add((run.Rowids[k], run.ClockAt(k)));
                    }

                    counts.Applied += r - from;
                }

                ApplyRow(t, map, run.Materialize(r), null, log, audit, counts);
            }

            if (fresh)
            {
                freshRuns.Add(new AppendRanges.InsertedRun(run, from));
                counts.Applied += run.Count - from;
            }
        }
    }

    private void ApplyRow(TableStore t, int[] map, RowChange row, List<(long Rowid, CellClock Clock)>? fast,
        SqliteCommand log, SqliteCommand audit, Counts counts)
    {
        var incoming = Remap(row.State, map);
        if (Covered(incoming))
        {
            counts.Skipped++;
            return;
        }

        foreach (var c in incoming.Clocks)
        {
            _store.Clock.Observe(c.Hlc);
        }

        // Append rows new here: insert, and keep their clocks as ranges afterwards (no per-row metadata).
        if (fast is not null && row.Key[0] is long id && AppendRanges.IsPlainInsert(incoming) && t.TryInsertRow(incoming.Values!))
        {
            fast.Add((id, incoming.Clocks[0]));
            NoteAppended(t, incoming.Clocks[0].Site, id);
            counts.Applied++;
            return;
        }

        var key = row.Key;
        var stored = t.StoredKey(key);
        var local = t.LoadState(key, stored);
        var outcome = RowMerge.Merge(local, incoming);
        switch (outcome.Action)
        {
            case MergeAction.Insert:
                t.InsertRow(outcome.Result.Values!);
                if (t.Info is { Policy: Schema.TablePolicy.Append, Mode: Schema.CaptureMode.RowidScan } && key[0] is long rowid)
                {
                    NoteAppended(t, outcome.Result.Clocks[0].Site, rowid);
                }

                break;
            case MergeAction.Update:
                t.UpdateRow(outcome.Result.Values!, outcome.ChangedColumns);
                break;
            case MergeAction.Replace:
                t.UpdateRow(outcome.Result.Values!, null);
                break;
            case MergeAction.Delete:
                t.DeleteRow(key);
                break;
        }

        if (outcome.MetadataChanged)
        {
            t.PutMeta(stored, outcome.Result);
            LogEvents(log, t, stored, outcome.Result);
            counts.Applied++;
        }
        else
        {
            counts.Skipped++;
        }

        foreach (var c in outcome.Conflicts)
        {
            Audit(audit, t, key, c);
            counts.Conflicts++;
        }
    }

    private void NoteAppended(TableStore t, string origin, long rowid) => AppendedRows(t, origin).Add(rowid);

    private List<long> AppendedRows(TableStore t, string origin)
    {
        if (!_appended.TryGetValue(t, out var byOrigin))
        {
            _appended[t] = byOrigin = new(StringComparer.Ordinal);
        }

        if (!byOrigin.TryGetValue(origin, out var list))
        {
            byOrigin[origin] = list = [];
        }

        return list;
    }

    private static RowState Remap(RowState s, int[] map)
    {
        if (s.IsDeleted || IsIdentity(map))
        {
            return s;
        }

        var values = new object?[map.Length];
        var clocks = new CellClock[map.Length];
        for (int i = 0; i < map.Length; i++)
        {
            values[map[i]] = s.Values![i];
            clocks[map[i]] = s.Clocks[i];
        }

        return RowState.Alive(s.CausalLength, values, clocks);
    }

    private static bool IsIdentity(int[] map)
    {
        for (int i = 0; i < map.Length; i++)
        {
            if (map[i] != i)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when every change in the state is one this replica already has (or has superseded).</summary>
    private bool Covered(RowState s)
    {
        foreach (var c in s.Clocks)
        {
            if (!_store.Sites.TryGetIndex(c.Site, out int idx) || c.Seq > _store.Seen(idx))
            {
                return false;
            }
        }

        return true;
    }

    private void LogEvents(SqliteCommand log, TableStore t, object stored, RowState state)
    {
        CellClock? last = null;
        foreach (var c in state.Clocks)
        {
            if (last is { } l && l.SameEvent(c))
            {
                continue;
            }

            last = c;
            int site = _store.Sites.GetOrAdd(_store.Db, c.Site);
            if (c.Seq <= _store.Seen(site))
            {
                continue;
            }

            log.Set(0, (long)site);
            log.Set(1, c.Seq);
            log.Set(2, (long)t.Info.Id);
            log.Set(3, stored);
            log.Set(4, c.Hlc.Value);
            log.ExecuteNonQuery();
        }
    }

    private void Audit(SqliteCommand audit, TableStore t, object?[] key, MergeConflict c)
    {
        audit.Set(0, _time.GetUtcNow().ToUnixTimeMilliseconds());
        audit.Set(1, t.Info.Name);
        audit.Set(2, TableStore.KeyText(key));
        audit.Set(3, c.Column >= 0 ? t.Info.Columns[c.Column] : null);
        audit.Set(4, RuleName(c.Rule));
        audit.Set(5, c.WinnerValue);
        audit.Set(6, c.Winner.Hlc.Value);
        audit.Set(7, c.Winner.Site);
        audit.Set(8, c.LoserValue);
        audit.Set(9, c.Loser.Hlc.Value);
        audit.Set(10, c.Loser.Site);
        audit.ExecuteNonQuery();
    }

    internal static string RuleName(ConflictRule rule) => rule switch
    {
        ConflictRule.LastWriterWins => "lww",
        ConflictRule.DeleteWins => "delete-wins",
        _ => "newer-incarnation-wins",
    };

    private void AdvanceVector(ChangeBatch batch)
    {
        foreach (var r in batch.Ranges)
        {
            int site = _store.Sites.GetOrAdd(_store.Db, r.Site);
            if (site != _store.SiteIndex && r.From <= _store.Seen(site) && r.To > _store.Seen(site))
            {
                _store.Vector[site] = r.To;
            }
        }
    }

    private void RecordPeer(string peer, ChangeBatch batch)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        PeerVectors.Raise(_store.Db, peer, batch.SenderVector);
        using var cs = Sql.Prepare(_store.Db,
            "INSERT INTO cluster_sync(sync_id, cluster_id, table_name, last_sync_time, sync_state) VALUES ($id, $c, $t, $now, 'ok') "
            + "ON CONFLICT(sync_id) DO UPDATE SET last_sync_time = excluded.last_sync_time, sync_state = 'ok'",
            "$id", "$c", "$t", "$now");
        cs.Set(1, peer);
        cs.Set(3, now);
        foreach (var t in batch.Tables)
        {
            cs.Set(0, $"{peer}/{t.Table}");
            cs.Set(2, t.Table);
            cs.ExecuteNonQuery();
        }
    }
}
