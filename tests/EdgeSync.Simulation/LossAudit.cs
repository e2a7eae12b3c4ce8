using EdgeSync.Clocks;
using EdgeSync.Merge;

namespace EdgeSync.Simulation;

/// <summary>
/// Ground truth for the conflict audit, kept apart from the engine's own notion of "seen" (<see cref="CellClock"/>'s
/// Prev fields): for every write event it records what its writer held when it wrote — the writer's version vector
/// when the write was sealed — and which cells it set to which value. At the end, with every replica converged:
/// <list type="bullet">
/// <item>a write <c>L</c> to a cell <b>lost unseen</b> when the cell's final value (same incarnation) differs from
/// <c>L</c>'s and no write to that cell by a writer that held <c>L</c> exists (not the final winner, not any write in
/// between), nor one of the same value with a greater clock. A write overwritten by one that had seen it lost as an
/// ordinary overwrite, and one beaten by an equal value lost nothing (no conflict, docs/design.md): if that one lost
/// unseen in turn, it is the loss to record;</item>
/// <item>every write that lost unseen must be in the conflict audit of some replica at some time (records are
/// collected from every replica after every apply, so a record a replica wrote and later lost with its files, or took
/// with it when it left, still counts);</item>
/// <item>records of losses whose winner's writer had held the loser are counted as false records (reported, allowed:
/// the engine decides "seen" from what a write carries and records when unsure, docs/design.md "Conflicts").</item>
/// </list>
/// Only writes that reached some replica that is live at the end (the final vector covers them) count: a write lost
/// with files put back never happened for anyone. A write's holder vector is read when the simulation seals its
/// replica's pending writes just before every other apply (<see cref="BeforeApply"/>), after each apply and whenever it
/// observes a replica, so
/// the vector is the one the write was sealed under (it only grows by applies); a write sealed and then lost before
/// either (files put back) is not known, and neither judged nor used as a witness. A write the application made that
/// an apply's own seal issued and the same apply overwrote at once is not seen by <see cref="Record"/> either; it is
/// judged at that apply and kept as a witness (<c>LossAudit.ApplySeal.cs</c>).
/// </summary>
internal sealed partial class LossAudit
{
    private static readonly HashSet<string> LwwTables = new(StringComparer.Ordinal) { "settings", "items", "counters" };

    /// <summary>Per event: what its writer held when it wrote.</summary>
    private readonly Dictionary<(string Site, long Seq), VersionVector> _held = [];

    /// <summary>Per cell (table:key, column): the writes seen setting it.</summary>
    private readonly Dictionary<(string Row, string Column), List<CellWrite>> _writes = [];

    /// <summary>Per site id: the highest own sequence number whose writes were recorded.</summary>
    private readonly Dictionary<string, long> _recorded = new(StringComparer.Ordinal);

    /// <summary>Every conflict record any replica ever held: (table:key, column, loser HLC, loser site) -> (winner HLC, winner site).</summary>
    private readonly HashSet<(string Row, string Column, long LoserHlc, string LoserSite, long WinnerHlc, string WinnerSite)> _records = [];

    private int _applies;
    private VersionVector? _vectorBeforeApply;

    private sealed record CellWrite(CellClock Clock, long Cl, string Value);

    /// <summary>Writes that lost unseen, at the last check.</summary>
    public int LostUnseen { get; private set; }

    /// <summary>Audit records of losses whose winner's writer had held the loser, at the last check.</summary>
    public int FalseRecords { get; private set; }

    /// <summary>
    /// Before an apply: records the replica's writes sealed so far, with the vector it holds now (before the apply
    /// grows it). Every other apply first seals what the application wrote, so that a write that loses at once in
    /// the apply is known; the others leave it to the apply's own seal (that path stays tested), and
    /// <see cref="AfterApply"/> records what it sealed, minus what lost at once.
    /// </summary>
    public void BeforeApply(SimSite s)
    {
        if (++_applies % 2 == 0)
        {
            s.Db!.Capture();
        }

        _vectorBeforeApply = s.Db!.Vector;
        Record(s);
        NotePending(s);
    }

    /// <summary>After a successful apply: records the writes its seal issued (under the vector held before it) and
    /// collects the replica's conflict audit.</summary>
    public void AfterApply(SimSite s)
    {
        Record(s, _vectorBeforeApply);
        Collect(s);
        CheckPendingAfterApply(s, _vectorBeforeApply!);
    }

    /// <summary>Records the replica's own writes sealed since the last call, with the vector it holds now (or <paramref name="heldWhenSealed"/>).</summary>
    public void Record(SimSite s, VersionVector? heldWhenSealed = null)
    {
        var db = s.Db!;
        var vector = heldWhenSealed ?? db.Vector;
        string own = db.SiteId;
        long top = db.Vector[own];
        long from = _recorded.GetValueOrDefault(own);
        if (top <= from)
        {
            return;
        }

        _recorded[own] = top;
        foreach (var (key, info, state) in StateTracker.States(s))
        {
            if (!LwwTables.Contains(info.Name))
            {
                continue;
            }

            if (state.IsDeleted)
            {
                RecordDelete(own, key, state, vector, from, top);
                continue;
            }

            for (int c = 0; c < state.Clocks.Length && c < info.Columns.Count; c++)
            {
                var clock = state.Clocks[c];
                if (clock.IsUnwritten || info.PrimaryKey.Contains(c) || clock.Site != own || clock.Seq <= from || clock.Seq > top)
                {
                    continue;
                }

                _held.TryAdd((own, clock.Seq), vector);
                var cell = (key, info.Columns[c]);
                if (!_writes.TryGetValue(cell, out var list))
                {
                    _writes[cell] = list = [];
                }

                if (!list.Any(w => w.Clock.SameEvent(clock)))
                {
                    list.Add(new CellWrite(clock, state.CausalLength, SqlValue.Display(state.Values![c])));
                }
            }
        }
    }

    /// <summary>
    /// The volume of the site with base id <paramref name="site"/> was replaced by an empty one, which starts under
    /// that id again: what it had sealed beyond what <paramref name="peers"/> hold of it is gone, and its sequence
    /// numbers may be issued again for other writes (docs/guarantees.md, "replica's volume replaced by an empty one").
    /// </summary>
    public void ForgetVolume(string site, IEnumerable<SimSite> peers)
    {
        long held = peers.Where(p => p.Up).Select(p => p.Db!.Vector[site]).DefaultIfEmpty(0).Max();
        foreach (var list in _writes.Values)
        {
            list.RemoveAll(w => w.Clock.Site == site && w.Clock.Seq > held);
        }

        foreach (var ev in _held.Keys.Where(k => k.Site == site && k.Seq > held).ToList())
        {
            _held.Remove(ev);
        }

        _recorded[site] = held;
    }

    /// <summary>Collects the replica's conflict audit (after an apply, and at the end from every live replica).</summary>
    public void Collect(SimSite s)
    {
        foreach (var r in s.Db!.Status.GetConflicts(int.MaxValue))
        {
            if (r.Column is { } column)
            {
                _records.Add((r.Table + ":" + r.Key, column, r.LoserHlc.Value, r.LoserSite, r.WinnerHlc.Value, r.WinnerSite));
            }
            else
            {
                CollectRowRecord(r);
            }
        }
    }

    /// <summary>
    /// Null when every write that lost unseen is in some replica's audit; else the first that is not. Call with the
    /// converged replicas (every one holds the same rows and vector).
    /// </summary>
    public string? Check(IReadOnlyList<SimSite> live)
    {
        foreach (var s in live)
        {
            Record(s);
            Collect(s);
        }

        var final = live[0];
        var vector = final.Db!.Vector;
        LostUnseen = 0;
        FalseRecords = 0;
        string? missing = null;
        var writesByClock = new Dictionary<(string Row, string Column, long Hlc, string Site), CellWrite>();
        foreach (var (cell, list) in _writes)
        {
            foreach (var w in list)
            {
                writesByClock.TryAdd((cell.Row, cell.Column, w.Clock.Hlc.Value, w.Clock.Site), w);
            }
        }

        foreach (var (key, info, state) in StateTracker.States(final))
        {
            if (state.IsDeleted || !LwwTables.Contains(info.Name))
            {
                continue;
            }

            for (int c = 0; c < state.Clocks.Length && c < info.Columns.Count; c++)
            {
                if (!_writes.TryGetValue((key, info.Columns[c]), out var writes))
                {
                    continue;
                }

                string value = SqlValue.Display(state.Values![c]);
                if (!writes.Any(w => w.Clock.SameEvent(state.Clocks[c])))
                {
                    continue; // the winner's writer is not known (sealed, sent, then lost with its files): nothing to judge by
                }

                var known = writes.Where(w => w.Cl == state.CausalLength && vector.Covers(w.Clock.Site, w.Clock.Seq)).ToList();
                foreach (var loser in known)
                {
                    if (loser.Value == value || loser.Clock.SameEvent(state.Clocks[c]) || known.Any(w => w != loser && Succeeds(w, loser))
                        || OverwrittenAtApply(key, info.Columns[c], state.CausalLength, loser.Clock, vector))
                    {
                        continue;
                    }

                    LostUnseen++;
                    // The record names this write, or a later write of its origin to the cell (which held it) that
                    // this tracker did not see: sealed by an apply and overwritten by it at once.
                    if (!_records.Any(r => r.Row == key && string.Equals(r.Column, info.Columns[c], StringComparison.OrdinalIgnoreCase)
                        && r.LoserHlc >= loser.Clock.Hlc.Value && r.LoserSite == loser.Clock.Site))
                    {
                        missing ??= $"{key} column {info.Columns[c]}: the write {loser.Clock} of '{loser.Value}' lost to {state.Clocks[c]} "
                            + $"('{value}'), no write to the cell had seen it, and no replica's conflict audit ever recorded the loss\n  writes to the cell: "
                            + string.Join("; ", known.Select(w => $"{w.Clock}<{w.Clock.PrevHlc}@{w.Clock.PrevSite} '{w.Value}' held {_held.GetValueOrDefault((w.Clock.Site, w.Clock.Seq))}"))
                            + "\n  audit records of the cell: " + string.Join("; ", _records.Where(r => r.Row == key && string.Equals(r.Column, info.Columns[c], StringComparison.OrdinalIgnoreCase))
                                .Select(r => $"{new Hlc(r.LoserHlc)}@{r.LoserSite} lost to {new Hlc(r.WinnerHlc)}@{r.WinnerSite}"));
                    }
                }
            }
        }

        foreach (var r in _records)
        {
            if (writesByClock.TryGetValue((r.Row, r.Column, r.LoserHlc, r.LoserSite), out var loser)
                && writesByClock.TryGetValue((r.Row, r.Column, r.WinnerHlc, r.WinnerSite), out var winner)
                && Held(winner.Clock, loser.Clock))
            {
                FalseRecords++;
            }
        }

        return missing ?? _unrecordedAtApply ?? CheckWholeRows(final, vector);
    }

    /// <summary>
    /// True when <paramref name="later"/> carried <paramref name="earlier"/>'s value on: its writer held it, or it
    /// wrote the same value with a greater clock (where the two met, the loss of an equal value is no conflict).
    /// </summary>
    private bool Succeeds(CellWrite later, CellWrite earlier) =>
        Held(later.Clock, earlier.Clock) || (later.Value == earlier.Value && later.Clock > earlier.Clock);

    /// <summary>
    /// True when the writer of <paramref name="later"/> held <paramref name="earlier"/> when it wrote: its own earlier
    /// event, one its vector covered, or the very value it overwrote (a re-stamp names the clock it replaces).
    /// </summary>
    private bool Held(CellClock later, CellClock earlier)
    {
        if (later.Site == earlier.Site)
        {
            return earlier.Seq < later.Seq;
        }

        if (later.PrevHlc == earlier.Hlc && later.PrevSite == earlier.Site)
        {
            return true;
        }

        return _held.TryGetValue((later.Site, later.Seq), out var vector) && vector.Covers(earlier.Site, earlier.Seq);
    }
}
