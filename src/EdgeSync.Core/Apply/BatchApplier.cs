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
    private readonly Dictionary<(int Table, string Site), long> _pruned = [];

    public BatchApplier(SyncStore store, TimeProvider time, TimeSpan maxClockDrift)
    {
        _store = store;
        _time = time;
        _maxClockDrift = maxClockDrift;
    }

    public ApplyResult Apply(ChangeBatch batch, string peer, CancellationToken cancellationToken)
    {
        var plans = BatchValidator.Validate(batch, name => _store.FindTable(name)?.Info,
                _store.Floor.Select(f => KeyValuePair.Create(_store.Sites.NameOf(f.Key), f.Value)), _time.GetUtcNow(), _maxClockDrift)
            .Select(p => (Table: _store.Table(p.Table.Id), p.Map))
            .ToList();

        try
        {
            _store.Begin(cancellationToken);
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
            long seen = Math.Max(_store.Sites.TryGetIndex(run.Site, out int site) ? _store.Seen(site) : 0, Pruned(t, run.Site));
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
        if (Covered(incoming) || (t.Info.Policy == Schema.TablePolicy.Append && incoming.Clocks.All(c => c.Seq <= Pruned(t, c.Site))))
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
    /// <summary>Retention's watermark: this table's rows of <paramref name="site"/> up to it were held here and pruned.</summary>
    private long Pruned(TableStore t, string site)
    {
        if (!_pruned.TryGetValue((t.Info.Id, site), out long seq))
        {
            _pruned[(t.Info.Id, site)] = seq = RetentionRecords.Watermark(_store.Db, t.Info.Id, site);
        }

        return seq;
    }

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
        PeerVectors.Raise(_store.Db, peer, batch.SenderVector);
        SyncStatusView.MarkSynced(_store.Db, peer, batch.Tables.Select(t => t.Table), _time.GetUtcNow().ToUnixTimeMilliseconds());
    }
}
