using EdgeSync.Clocks;
using EdgeSync.Merge;

namespace EdgeSync.Simulation;

/// <summary>
/// Ground truth for whole-row losses (<c>delete-wins</c>, <c>newer-incarnation-wins</c>): a write <c>L</c> to an
/// incarnation (causal length <c>c</c>) that a delete ended. <c>L</c> is judged when it is the newest write the tracker
/// knows to the row in that incarnation (the engine judges and records a losing row by its newest write, docs/design.md
/// §3; an older write to another column that the deleter had not seen is not checked), the row ended above <c>c</c>,
/// and a delete at <c>c + 1</c> is known (the
/// tracker saw its writer seal it): it <b>lost unseen</b> when no known event above <c>c</c> (a delete, or a write to a
/// later incarnation) was made by a writer that held <c>L</c>. Such a loss must be in some replica's audit as a
/// whole-row record (no column) of the row whose loser is <c>L</c> or a later write of the same incarnation (the engine
/// records the loser's newest clock). Counted: the losses, and whole-row records whose winner's
/// writer had held the loser.
/// </summary>
internal sealed partial class LossAudit
{
    /// <summary>Per row (table:key): the delete events seen sealed, with the causal length they gave the row.</summary>
    private readonly Dictionary<string, List<(long Cl, CellClock Clock)>> _deletes = new(StringComparer.Ordinal);

    /// <summary>Every whole-row record any replica ever held: (table:key, loser HLC, loser site, winner HLC, winner site).</summary>
    private readonly HashSet<(string Row, long LoserHlc, string LoserSite, long WinnerHlc, string WinnerSite)> _rowRecords = [];

    /// <summary>Writes whose incarnation a delete ended unseen, at the last check.</summary>
    public int RowLossesUnseen { get; private set; }

    /// <summary>Whole-row records whose winner's writer had held the loser, at the last check.</summary>
    public int FalseRowRecords { get; private set; }

    private void RecordDelete(string own, string row, RowState state, VersionVector vector, long from, long top)
    {
        var clock = state.Clocks[0];
        if (clock.IsUnwritten || clock.Site != own || clock.Seq <= from || clock.Seq > top)
        {
            return;
        }

        _held.TryAdd((own, clock.Seq), vector);
        if (!_deletes.TryGetValue(row, out var list))
        {
            _deletes[row] = list = [];
        }

        if (!list.Any(d => d.Clock.SameEvent(clock)))
        {
            list.Add((state.CausalLength, clock));
        }
    }

    private void CollectRowRecord(ConflictRecord r) =>
        _rowRecords.Add((r.Table + ":" + r.Key, r.LoserHlc.Value, r.LoserSite, r.WinnerHlc.Value, r.WinnerSite));

    /// <summary>Checks whole-row losses against the converged state: null when each is recorded, else the first that is not.</summary>
    private string? CheckWholeRows(SimSite final, VersionVector vector)
    {
        RowLossesUnseen = 0;
        string? first = null;
        foreach (var (row, _, state) in StateTracker.States(final))
        {
            if (!_deletes.TryGetValue(row, out var deletes))
            {
                continue;
            }

            var writes = _writes.Where(w => w.Key.Row == row).SelectMany(w => w.Value.Select(x => (w.Key.Column, Write: x)))
                .Where(w => vector.Covers(w.Write.Clock.Site, w.Write.Clock.Seq)).ToList();
            foreach (var (column, loser) in writes)
            {
                long cl = loser.Cl;
                if (cl >= state.CausalLength || !deletes.Any(d => d.Cl == cl + 1 && vector.Covers(d.Clock.Site, d.Clock.Seq))
                    || writes.Any(w => w.Write.Cl == cl && w.Write.Clock > loser.Clock))
                {
                    continue; // not ended by a known delete, or not the incarnation's newest known write (the one the engine judges)
                }

                bool held = deletes.Any(d => d.Cl > cl && Held(d.Clock, loser.Clock)) || writes.Any(w => w.Write.Cl > cl && Held(w.Write.Clock, loser.Clock));
                if (held)
                {
                    continue;
                }

                RowLossesUnseen++;
                if (!_rowRecords.Any(r => r.Row == row && r.LoserHlc >= loser.Clock.Hlc.Value))
                {
                    first ??= $"{row}: the write {loser.Clock} of '{loser.Value}' to {column} (causal length {cl}) was ended by a delete whose writer had not held it "
                        + $"(deletes: {string.Join("; ", deletes.Select(d => $"{d.Clock}<{d.Clock.PrevHlc}@{d.Clock.PrevSite} cl={d.Cl} held {_held.GetValueOrDefault((d.Clock.Site, d.Clock.Seq))}"))}), "
                        + $"and no replica's audit recorded a whole-row loss of the row; records: {string.Join("; ", _rowRecords.Where(r => r.Row == row).Select(r => $"{new Hlc(r.LoserHlc)}@{r.LoserSite} lost to {new Hlc(r.WinnerHlc)}@{r.WinnerSite}"))}";
                }
            }
        }

        var events = _writes.SelectMany(w => w.Value.Select(x => (w.Key.Row, x.Clock))).Concat(_deletes.SelectMany(d => d.Value.Select(x => (Row: d.Key, x.Clock))))
            .GroupBy(e => (e.Row, e.Clock.Hlc.Value, e.Clock.Site)).ToDictionary(g => g.Key, g => g.First().Clock);
        FalseRowRecords = _rowRecords.Count(r => events.TryGetValue((r.Row, r.LoserHlc, r.LoserSite), out var loser)
            && events.TryGetValue((r.Row, r.WinnerHlc, r.WinnerSite), out var winner) && Held(winner, loser));
        return first;
    }
}
