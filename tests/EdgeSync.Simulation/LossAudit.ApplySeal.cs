using EdgeSync.Clocks;
using EdgeSync.Merge;

namespace EdgeSync.Simulation;

/// <summary>
/// Writes that an apply's own seal issued and the same apply overwrote at once. An apply first seals what the
/// application wrote since the last capture, then merges the batch, in one transaction; a batch row that beats such
/// a write replaces it before anyone can read it, so <see cref="Record"/> never sees its clock. Without it the ground
/// truth misjudges the write it overwrote (its writer held that one: an ordinary overwrite), and so it once demanded
/// records that could not exist (simulation seeds 5473 and 4251 at 120 steps, docs/guarantees.md):
/// <list type="bullet">
/// <item>the write loses at the apply to an equal value: no conflict, nothing to record (seed 5473: site-1 raised
/// <c>qty</c> from 3 to 4, the batch brought site-0's 4);</item>
/// <item>it loses to another value: the apply must record it, under the id the replica seals under at that moment
/// (seed 4251: a replica that restarted after a kill continues as <c>site-2~N</c>, and the record names that id).</item>
/// </list>
/// Read from the application's rows before the apply (a cell whose value differs from the sealed write its clock
/// names is pending) and from the replica's state and audit after it.
/// </summary>
internal sealed partial class LossAudit
{
    /// <summary>Pending application writes noted before the current apply: the cell, its row's causal length, the
    /// sealed clock the write overwrites and the value written.</summary>
    private readonly List<(string Row, string Column, long Cl, CellClock Overwrote, string Value)> _pending = [];

    /// <summary>Writes an apply sealed and overwrote at once: the cell, the causal length, what the writer held
    /// (the replica's vector before the apply), and the writer's id and top sequence number after the apply (the
    /// write's own number is at or below it).</summary>
    private readonly List<(string Row, string Column, long Cl, VersionVector Held, string Site, long SeqAtMost)> _sealedAtApply = [];

    /// <summary>The first write an apply sealed and overwrote with another value whose loss it did not record.</summary>
    private string? _unrecordedAtApply;

    /// <summary>Writes an apply sealed and overwrote at once, and how many of them lost to another value (each must
    /// be in that replica's audit).</summary>
    public (int Overwritten, int LostToAnotherValue) SealedAtApply => (_sealedAtApply.Count, _lostAtApply);

    private int _lostAtApply;

    /// <summary>Notes the replica's pending writes to its LWW cells, without sealing them (the apply must).</summary>
    private void NotePending(SimSite s)
    {
        _pending.Clear();
        foreach (var (row, info, state) in UnsealedStates(s))
        {
            for (int c = 0; c < state.Clocks.Length && c < info.Columns.Count; c++)
            {
                var clock = state.Clocks[c];
                if (info.PrimaryKey.Contains(c) || clock.IsUnwritten
                    || !_writes.TryGetValue((row, info.Columns[c]), out var writes)
                    || writes.FirstOrDefault(w => w.Clock.SameEvent(clock)) is not { } written)
                {
                    continue; // what the cell's clock wrote is not known: pending or not cannot be told
                }

                string value = SqlValue.Display(state.Values![c]);
                if (value != written.Value)
                {
                    _pending.Add((row, info.Columns[c], state.CausalLength, clock, value));
                }
            }
        }
    }

    /// <summary>
    /// After an apply: each noted pending write that is no longer the cell's value (same causal length, and the cell's
    /// clock is not one the apply's seal issued) was sealed and overwritten by the batch. It becomes a witness for
    /// what its writer held, and when the batch's value differs from it, the replica's audit must hold its loss:
    /// its value, under the replica's id, lost to the cell's clock now.
    /// </summary>
    private void CheckPendingAfterApply(SimSite s, VersionVector before)
    {
        if (_pending.Count == 0)
        {
            return;
        }

        var db = s.Db!;
        string own = db.SiteId;
        long top = db.Vector[own];
        var now = UnsealedStates(s).ToDictionary(r => r.Row, r => (r.Info, r.State), StringComparer.Ordinal);
        var audit = db.Status.GetConflicts(int.MaxValue);
        foreach (var p in _pending)
        {
            if (!now.TryGetValue(p.Row, out var held) || held.State.IsDeleted || held.State.CausalLength != p.Cl)
            {
                continue; // the row itself lost or was replaced: a whole-row outcome, not a column loss
            }

            int c = held.Info.Columns.ToList().FindIndex(n => string.Equals(n, p.Column, StringComparison.Ordinal));
            var clock = held.State.Clocks[c];
            if (clock.Site == own && clock.Seq > before[own])
            {
                continue; // the write the seal issued survived the batch: Record has it
            }

            _sealedAtApply.Add((p.Row, p.Column, p.Cl, before, own, top));
            string value = SqlValue.Display(held.State.Values![c]);
            if (value == p.Value)
            {
                continue; // beaten by an equal value: no conflict
            }

            _lostAtApply++;
            if (!audit.Any(r => r.Table + ":" + r.Key == p.Row && string.Equals(r.Column, p.Column, StringComparison.OrdinalIgnoreCase)
                && r.LoserSite == own && SqlValue.Display(r.LoserValue) == p.Value && r.WinnerHlc == clock.Hlc && r.WinnerSite == clock.Site))
            {
                _unrecordedAtApply ??= $"{p.Row} column {p.Column}: {own}'s pending write of '{p.Value}' (over {p.Overwrote}) was sealed by an apply "
                    + $"and lost in it to {clock} ('{value}'), and the replica's conflict audit has no record of the loss";
            }
        }

        _pending.Clear();
    }

    /// <summary>
    /// True when a write that an apply sealed and overwrote at once was made over <paramref name="loser"/> by a writer
    /// that held it (so the loser's loss was an ordinary overwrite; that write's own loss was judged at the apply), and
    /// the final <paramref name="vector"/> covers that write.
    /// </summary>
    private bool OverwrittenAtApply(string row, string column, long cl, CellClock loser, VersionVector vector) =>
        _sealedAtApply.Any(w => w.Row == row && w.Column == column && w.Cl == cl
            && w.Held.Covers(loser.Site, loser.Seq) && vector.Covers(w.Site, w.SeqAtMost));

    /// <summary>The replica's live LWW rows as the application holds them now, nothing sealed: a row the application
    /// deleted since the last capture is left out (its state cannot be read before the seal).</summary>
    private static IEnumerable<(string Row, Schema.TableInfo Info, RowState State)> UnsealedStates(SimSite s)
    {
        var db = s.Db!;
        var keys = StateTracker.RowKeys(s);
        foreach (var info in db.Tables.Where(t => LwwTables.Contains(t.Name)))
        {
            foreach (var key in keys[info.Name])
            {
                RowState? state;
                try
                {
                    state = db.ReadRowState(info.Name, key);
                }
                catch (InvalidDataException)
                {
                    continue; // deleted by the application, not yet captured
                }

                if (state is { IsDeleted: false })
                {
                    yield return (info.Name + ":" + StateTracker.Key(key), info, state);
                }
            }
        }
    }
}
