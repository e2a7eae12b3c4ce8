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

    /// <summary>Applies <paramref name="batch"/>; <paramref name="check"/> (the caller's authorization) runs after the seal,
    /// in the transaction, and refuses the batch by throwing.</summary>
    public ApplyResult Apply(ChangeBatch batch, string peer, Action<ChangeBatch>? check, CancellationToken cancellationToken)
    {
        try
        {
            _store.Begin(Durability.Sealing, cancellationToken); // FULL only when the seal issues sequence numbers
            Sealer.Seal(_store); // also takes any schema change first, so the batch is checked against the tables as they are
            check?.Invoke(batch); // against the rows as they are now, this replica's latest writes sealed
            batch = WithoutForgottenTables(batch);
            var plans = BatchValidator.Validate(batch, name => _store.FindTable(name)?.Info,
                    _store.Floor.Select(f => KeyValuePair.Create(_store.Sites.NameOf(f.Key), f.Value)), _time.GetUtcNow(), _maxClockDrift)
                .Select(p => (Table: _store.Table(p.Table.Id), p.Map))
                .ToList();
            CaptureQueue.MuteTriggers(_store);
            var result = ApplyRows(batch, plans);
            FaultPoints.Hit("apply.rows");
            AdvanceVector(batch);
            RecordPeer(peer, batch);
            foreach (var (t, rowids) in _appended)
            {
                AppendScanner.RecordRemoteRows(_store, t, rowids);
            }

            foreach (var (t, _) in plans.Where(p => p.Table.Info is { Mode: Schema.CaptureMode.RowidScan, Policy: Schema.TablePolicy.Lww, Drift: null }))
            {
                TableCatalog.RaiseWatermarkToLastRow(_store, t);
            }

            CaptureQueue.UnmuteTriggersAndDropQueued(_store); // the queue holds only this transaction's own inserts
            _store.Commit();
            return result;
        }
        catch (SqliteException e) when (StorageException.IsStorageError(e))
        {
            _store.Rollback();
            throw new StorageException(_store.DataSource, e);
        }
        catch (EdgeSyncException)
        {
            _store.Rollback();
            throw;
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

    /// <summary>Leaves out tables whose sync was forgotten here, and the fleet's migration log where it is not enabled (the ranges still cover their changes).</summary>
    private ChangeBatch WithoutForgottenTables(ChangeBatch batch)
    {
        if (!batch.Tables.Any(t => _store.FindTable(t.Table) is null))
        {
            return batch;
        }

        var forgotten = TableCatalog.Forgotten(_store);
        if (_store.FindTable(PublishedMigrations.LogTable) is null)
        {
            forgotten.Add(PublishedMigrations.LogTable); // a replica that does not run fleet migrations (no agent) ignores their log
        }

        return forgotten.Count == 0 ? batch
            : new ChangeBatch(batch.Sender, batch.SenderVector, batch.Ranges, batch.Tables.Where(t => !forgotten.Contains(t.Table)).ToList())
            {
                Disclaimed = batch.Disclaimed,
            };
    }

    private ApplyResult ApplyRows(ChangeBatch batch, List<(TableStore Table, int[] Map)> plans)
    {
        var counts = new Counts();
        using var log = ChangeLog.PrepareRowEvents(_store, replace: false);
        using var audit = new ConflictAudit(_store);
        using var stash = StashStore.PrepareUpsert(_store);
        for (int i = 0; i < batch.Tables.Count; i++)
        {
            var (t, map) = plans[i];
            var set = batch.Tables[i];
            if (t.Info.Drift is not null)
            {
                counts.Skipped += set.RowCount; // sync of this table is stopped here (schema drift); other tables go on
                continue;
            }

            var plan = new ColumnPlan(t, set, map, stash, log);
            _store.StashTouched |= plan.HasUnknown;
            var fast = t.Info is { Policy: Schema.TablePolicy.Append, Mode: Schema.CaptureMode.RowidScan } ? new List<(long Rowid, CellClock Clock)>() : null;
            var freshRuns = new List<AppendRanges.InsertedRun>();
            // Deletes first: a row that replaced another through a secondary unique index (INSERT OR REPLACE, or a
            // DELETE and INSERT in one capture) can come before the other row's delete, and would conflict with it.
            // Each row merges on its own, so the order changes nothing else.
            foreach (var row in set.Rows.Where(r => r.State.IsDeleted).Concat(set.Rows.Where(r => !r.State.IsDeleted)))
            {
                ApplyRow(t, plan, row, fast, log, audit, counts);
            }

            if (set.Runs.Count > 0)
            {
                ApplyRuns(t, plan, set.Runs, fast, freshRuns, log, audit, counts);
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
    private void ApplyRuns(TableStore t, ColumnPlan plan, IReadOnlyList<InsertRun> runs, List<(long Rowid, CellClock Clock)>? fast,
        List<AppendRanges.InsertedRun> freshRuns, ChangeLog.RowEvents log, ConflictAudit audit, Counts counts)
    {
        var map = plan.Map;
        if (fast is null || plan.HasUnknown)
        {
            // Not an append table here, or the run carries columns this table does not have (kept aside per row).
            foreach (var run in runs)
            {
                for (int r = 0; r < run.Count; r++)
                {
                    ApplyRow(t, plan, run.Materialize(r), null, log, audit, counts);
                }
            }

            return;
        }

        // The run's columns in its own order; columns only this replica has take their declared default.
        using var insert = t.PrepareInsertIfNew(map);
        using var occupied = t.PrepareAnyRowBetween();
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
                    insert.Bind(c, run.Columns[c], r);
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

                ApplyRow(t, plan, run.Materialize(r), null, log, audit, counts);
            }

            if (fresh)
            {
                freshRuns.Add(new AppendRanges.InsertedRun(run, from));
                counts.Applied += run.Count - from;
            }
        }
    }

    private void ApplyRow(TableStore t, ColumnPlan plan, RowChange row, List<(long Rowid, CellClock Clock)>? fast,
        ChangeLog.RowEvents log, ConflictAudit audit, Counts counts)
    {
        if (Covered(row.State) || (t.Info.Policy == Schema.TablePolicy.Append && row.State.Clocks.All(c => c.Seq <= Pruned(t, c.Site))))
        {
            counts.Skipped++;
            return;
        }

        foreach (var c in row.State.Clocks)
        {
            _store.Clock.Observe(c.Hlc);
        }

        var incoming = plan.Remap(row.State);
        bool keepUnknown = plan.HasUnknown && !row.State.IsDeleted;

        // Append rows new here: insert, and keep their clocks as ranges afterwards (no per-row metadata).
        if (fast is not null && row.Key[0] is long id && AppendRanges.IsPlainInsert(incoming) && t.TryInsertRow(incoming.Values!))
        {
            if (keepUnknown)
            {
                plan.KeepUnknown(row, t.StoredKey(row.Key), this);
            }

            fast.Add((id, incoming.Clocks[0]));
            NoteAppended(t, incoming.Clocks[0].Site, id);
            counts.Applied++;
            return;
        }

        var key = row.Key;
        var stored = t.StoredKey(key);
        var local = t.LoadState(key, stored);
        CellClock? localNewest = null;
        if (local is not null && incoming.CausalLength > local.CausalLength)
        {
            localNewest = local.IsDeleted ? null : t.StashNewest(stored); // a write kept aside loses with its incarnation too
            t.ForgetStash(stored); // values kept aside for the incarnation that just ended
        }

        if (keepUnknown && (local is null || incoming.CausalLength >= local.CausalLength))
        {
            plan.KeepUnknown(row, stored, this); // an older incarnation's values lose with it
        }

        var outcome = RowMerge.Merge(local, incoming, plan.HasUnknown && !row.State.IsDeleted ? row.State.Newest : null, localNewest);
        switch (outcome.Action)
        {
            case MergeAction.Insert:
                t.InsertRow(outcome.Result.Values!, outcome.Result.Clocks);
                if (t.Info is { Policy: Schema.TablePolicy.Append, Mode: Schema.CaptureMode.RowidScan } && key[0] is long rowid)
                {
                    NoteAppended(t, outcome.Result.Clocks[0].Site, rowid);
                }

                break;
            case MergeAction.Update:
                t.UpdateRow(outcome.Result.Values!, outcome.ChangedColumns);
                break;
            case MergeAction.Replace:
                var written = WrittenColumns(outcome.Result.Clocks);
                t.UpdateRow(outcome.Result.Values!, written);
                if (written is not null)
                {
                    // The row starts over: a column its writer does not have holds its default, as on a replica that
                    // saw the delete and inserted the row anew (simulation seed 4841 at 120 steps).
                    t.ResetToDefaults(key, Array.ConvertAll(written, w => !w));
                }

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

        LogLosers(log, t, stored, row.State, outcome.Result);
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

    /// <summary>Every column but those the winning state never wrote (a column its writer did not have), or null for every column.</summary>
    private static bool[]? WrittenColumns(CellClock[] clocks)
    {
        bool[]? mask = null;
        for (int i = 0; i < clocks.Length; i++)
        {
            if (clocks[i].IsUnwritten)
            {
                mask ??= Enumerable.Repeat(true, clocks.Length).ToArray();
                mask[i] = false;
            }
        }

        return mask;
    }

    internal void LogEvent(ChangeLog.RowEvents log, TableStore t, object stored, CellClock c)
    {
        int site = _store.SiteIndexOf(c.Site);
        if (c.IsUnwritten || c.Seq <= _store.Seen(site))
        {
            return;
        }

        log.Add(site, c.Seq, t.Info.Id, stored, c.Hlc.Value);
    }

    /// <summary>Retention's watermark: this table's rows of <paramref name="site"/> up to it were held here and pruned.</summary>
    private long Pruned(TableStore t, string site)
    {
        if (!_pruned.TryGetValue((t.Info.Id, site), out long seq))
        {
            _pruned[(t.Info.Id, site)] = seq = RetentionRecords.Watermark(_store, t.Info.Id, site);
        }

        return seq;
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

    private void LogEvents(ChangeLog.RowEvents log, TableStore t, object stored, RowState state)
    {
        CellClock? last = null;
        foreach (var c in state.Clocks)
        {
            if (last is { } l && l.SameEvent(c))
            {
                continue;
            }

            last = c;
            LogEvent(log, t, stored, c);
        }
    }

    /// <summary>
    /// Logs the incoming events of which no clock survived the merge: held from now on, they must stay known by their
    /// time. A clock that ran ahead and is set right comes down to after the newest event its log names
    /// (<see cref="Storage.Reincarnation.RewindIfClockRanAhead"/>); an event that lost to one of its future clocks and
    /// that nothing names any more could be newer than the re-stamp, and, claimed as held, would never come back to
    /// beat it here as it does everywhere else (simulation seed 2623 at 120 steps).
    /// </summary>
    private void LogLosers(ChangeLog.RowEvents log, TableStore t, object stored, RowState incoming, RowState result)
    {
        foreach (var c in incoming.Clocks)
        {
            if (!result.Clocks.Any(r => r.SameEvent(c)))
            {
                LogEvent(log, t, stored, c);
            }
        }
    }

    private void Audit(ConflictAudit audit, TableStore t, object?[] key, MergeConflict c)
    {
        audit.Add(_time.GetUtcNow().ToUnixTimeMilliseconds(), t.Info.Name, TableStore.KeyText(key), c.Column >= 0 ? t.Info.Columns[c.Column] : null, c);
    }

    private void AdvanceVector(ChangeBatch batch)
    {
        foreach (var r in batch.Ranges)
        {
            int site = _store.SiteIndexOf(r.Site);
            if (site != _store.SiteIndex && r.From <= _store.Seen(site) && r.To > _store.Seen(site))
            {
                _store.Vector[site] = r.To;
            }
        }
    }

    private void RecordPeer(string peer, ChangeBatch batch)
    {
        PeerVectors.Raise(_store, peer, PeerVectors.Rising(_store, peer, batch.SenderVector));
        SyncStatusView.MarkSynced(_store, peer, batch.Tables.Select(t => t.Table), _time.GetUtcNow().ToUnixTimeMilliseconds());
    }
}
