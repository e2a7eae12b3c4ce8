using EdgeSync.Clocks;
using EdgeSync.Merge;

namespace EdgeSync.Simulation;

/// <summary>
/// Remembers, for every row, the greatest state each site was ever seen holding: the highest causal length and, at
/// that length, each column's greatest clock. At the end every replica must hold at least the greatest over all sites
/// — so no committed write was lost (it still wins, or a greater write replaced it) and no deleted row came back (a
/// tombstone's causal length can only be passed by a re-insert that saw it). What a site held is forgotten when its
/// files go back to an earlier copy (<see cref="Snapshot"/>, <see cref="Restore"/>): that is allowed to be lost unless
/// another site had it. Also checks, at every observation, that one event (site, sequence) only ever carries one HLC
/// and one value per cell: a reused sequence number shows as two.
/// </summary>
public sealed class StateTracker
{
    private static readonly string[] Tenants = ["t0", "t1"];
    private static readonly HashSet<string> AddedColumns = new(StringComparer.OrdinalIgnoreCase) { "unit", "quality", "note" };
    private readonly Dictionary<int, Dictionary<string, (long Cl, CellClock[]? Clocks)>> _bySite = [];
    private readonly Dictionary<(string Site, long Seq, string Cell), (long Hlc, string Value, string Where)> _events = [];
    private readonly Dictionary<(string Site, long Seq, string Cell), HashSet<int>> _eventSlots = [];
    private int _observation;

    /// <summary>True for the columns the simulation's migrations add.</summary>
    public static bool IsAddedColumn(string column) => AddedColumns.Contains(column);

    /// <summary>The first event seen with two contents, if any.</summary>
    public string? Reused { get; private set; }

    public void Observe(int slot, SimSite site)
    {
        var db = site.Db!;
        _observation++;
        if (!_bySite.TryGetValue(slot, out var max))
        {
            _bySite[slot] = max = new Dictionary<string, (long, CellClock[]?)>(StringComparer.Ordinal);
        }

        foreach (var (key, info, state) in States(site))
        {
            CheckEvents(slot, db.SiteId, key, info.Columns, state);
            Raise(max, key, state.CausalLength, state.IsDeleted ? null : state.Clocks);
        }
    }

    /// <summary>What <paramref name="slot"/> was seen holding, to put back with <see cref="Restore"/>.</summary>
    public Dictionary<string, (long Cl, CellClock[]? Clocks)> Snapshot(int slot) =>
        _bySite.TryGetValue(slot, out var max) ? Copy(max) : new(StringComparer.Ordinal);

    /// <summary>Puts back what <paramref name="slot"/> was seen holding when <paramref name="snapshot"/> was taken. A
    /// copy: later observations raise it in place, and the same backup or snapshot may be put back again.</summary>
    public void Restore(int slot, Dictionary<string, (long Cl, CellClock[]? Clocks)> snapshot) => _bySite[slot] = Copy(snapshot);

    private static Dictionary<string, (long Cl, CellClock[]? Clocks)> Copy(Dictionary<string, (long Cl, CellClock[]? Clocks)> seen) =>
        seen.ToDictionary(e => e.Key, e => (e.Value.Cl, (CellClock[]?)e.Value.Clocks?.Clone()), StringComparer.Ordinal);

    private static void Raise(Dictionary<string, (long Cl, CellClock[]? Clocks)> max, string key, long cl, CellClock[]? state)
    {
        if (!max.TryGetValue(key, out var seen) || cl > seen.Cl)
        {
            max[key] = (cl, (CellClock[]?)state?.Clone());
            return;
        }

        if (cl != seen.Cl || seen.Clocks is not { } clocks || state is null)
        {
            return;
        }

        // A replica that has added a column holds more clocks than one that has not (columns are only added here).
        if (state.Length > clocks.Length)
        {
            var wider = new CellClock[state.Length];
            clocks.CopyTo(wider, 0);
            Array.Fill(wider, CellClock.Unwritten, clocks.Length, wider.Length - clocks.Length);
            max[key] = (seen.Cl, clocks = wider);
        }

        for (int c = 0; c < Math.Min(clocks.Length, state.Length); c++)
        {
            // A re-stamp (a clock that ran ahead, brought back to the present by a new incarnation) names the clock it
            // replaces as its predecessor: it supersedes it though it orders below it.
            if (state[c] > clocks[c] || Replaces(state[c], clocks[c]))
            {
                clocks[c] = state[c];
            }
        }
    }

    /// <summary>
    /// True when <paramref name="later"/> replaced <paramref name="earlier"/> though it orders below it: it names it as
    /// the value it saw, or it is a re-stamp — a later incarnation of the same site brought a clock that had run ahead
    /// back to the present (insert ranges are issued again without naming what they replace).
    /// </summary>
    private static bool Replaces(CellClock later, CellClock earlier) =>
        !later.IsUnwritten && !earlier.IsUnwritten
        && (later.Supersedes(earlier)
            || (later.Hlc < earlier.Hlc && later.Site != earlier.Site
                && Storage.SiteIncarnation.BaseOf(later.Site) == Storage.SiteIncarnation.BaseOf(earlier.Site)));

    /// <summary>
    /// True when <paramref name="clock"/> is still in the future once every clock is right: a replica that held it re-stamped
    /// it when its own clock was set right (docs/design.md §6b, rule 4). An append row's re-stamp is its insert range issued
    /// again, by whichever replica held it, and a range names no clock it replaces (the row's values never change).
    /// </summary>
    private static bool InFuture(CellClock clock, long nowMs) =>
        clock.Hlc.Milliseconds > nowMs + (long)new SyncDatabaseOptions().MaxClockDrift.TotalMilliseconds;

    /// <summary>
    /// The slot's volume was replaced by an empty one: an event seen on no other slot is forgotten with it, so the new
    /// volume may issue its (site, sequence) again (what no peer holds of the old volume is lost with it: docs/guarantees.md,
    /// "replica's volume replaced by an empty one"). If some replica still holds the old event, observing that replica (at the end, every
    /// replica is observed) shows the two contents and fails the run as before.
    /// </summary>
    public void ForgetVolume(int slot)
    {
        foreach (var (ev, slots) in _eventSlots.ToList())
        {
            if (slots.Remove(slot) && slots.Count == 0)
            {
                _eventSlots.Remove(ev);
                _events.Remove(ev);
            }
        }
    }

    private void CheckEvents(int slot, string holder, string key, IReadOnlyList<string> columns, RowState state)
    {
        for (int c = 0; c < state.Clocks.Length && c < columns.Count; c++)
        {
            var clock = state.Clocks[c];
            if (clock.IsUnwritten || (IsAddedColumn(columns[c]) && c > 0 && clock.SameEvent(state.Clocks[0])))
            {
                continue; // a column added since the row's insert range: its default, under the range's clock
            }

            // One event (site, sequence) writes a cell once: one HLC and one value, wherever and whenever it is seen.
            string cell = key + "." + columns[c];
            string value = state.Values is { } values ? SqlValue.Display(values[c]) : "(deleted)";
            string where = $"on {holder} (observation {_observation})";
            if (_events.TryGetValue((clock.Site, clock.Seq, cell), out var seen) && (seen.Hlc != clock.Hlc.Value || seen.Value != value))
            {
                Reused ??= $"event {clock.Site}:{clock.Seq} wrote {cell} twice: {seen.Value} at {new Hlc(seen.Hlc)} {seen.Where}, "
                    + $"{value} at {clock.Hlc} {where}: a sequence number was reused";
            }

            _events[(clock.Site, clock.Seq, cell)] = (clock.Hlc.Value, value, where);
            if (!_eventSlots.TryGetValue((clock.Site, clock.Seq, cell), out var slots))
            {
                _eventSlots[(clock.Site, clock.Seq, cell)] = slots = [];
            }

            slots.Add(slot);
        }
    }

    /// <summary>Null when <paramref name="site"/> holds at least everything ever observed; else what it lost.
    /// <paramref name="nowMs"/> is the true time at the check, when every clock is right.</summary>
    public string? Verify(SimSite site, long nowMs)
    {
        var db = site.Db!;
        var all = new Dictionary<string, (long Cl, CellClock[]? Clocks)>(StringComparer.Ordinal);
        foreach (var max in _bySite.Values)
        {
            foreach (var (key, (cl, clocks)) in max)
            {
                Raise(all, key, cl, clocks);
            }
        }

        var final = States(site).ToDictionary(s => s.Key, s => (s.Info, s.State), StringComparer.Ordinal);
        var floors = CausalFloors(site);
        foreach (var (key, (cl, clocks)) in all)
        {
            if (!final.TryGetValue(key, out var held))
            {
                if (cl % 2 == 0 && floors.GetValueOrDefault(key[..key.IndexOf(':', StringComparison.Ordinal)]) >= cl)
                {
                    continue; // a tombstone compaction dropped here: the table's causal-length floor keeps it beaten (design §6)
                }

                return $"{db.SiteId} lost row {key} (had reached causal length {cl})";
            }

            var (info, state) = held;
            if (state.CausalLength < cl)
            {
                return $"{db.SiteId} holds {key} at causal length {state.CausalLength}, but {cl} was reached" + (cl % 2 == 0 ? " (a deleted row came back)" : "");
            }

            if (state.CausalLength == cl && clocks is not null)
            {
                for (int c = 0; c < clocks.Length; c++)
                {
                    if (info.Policy == Schema.TablePolicy.Append && c < info.Columns.Count && IsAddedColumn(info.Columns[c]))
                    {
                        continue; // an append row's added column: its origin and its peers may name different clocks for the same value (see FaultSimulation.ClockText)
                    }

                    // A column added after the row was written holds its default with the unwritten clock here, while a
                    // replica that keeps the row as an insert range reads the range's clock for it: same value (the
                    // final SELECT * comparison checks every column), and any later write of it beats both.
                    if (c >= state.Clocks.Length
                        || (state.Clocks[c] < clocks[c] && !state.Clocks[c].IsUnwritten && !Replaces(state.Clocks[c], clocks[c])
                            && !(info.Policy == Schema.TablePolicy.Append && InFuture(clocks[c], nowMs))))
                    {
                        return $"{db.SiteId} lost a write to {key} column {c}: holds {(c < state.Clocks.Length ? state.Clocks[c] : "no such column")}, {clocks[c]} was committed";
                    }
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Null when every conflict-audit record of <paramref name="db"/> agrees with its final state: a write recorded as
    /// having lost is never what the column holds at the end (the join only moves past a winner).
    /// </summary>
    public static string? VerifyAudit(SimSite site)
    {
        var db = site.Db!;
        var final = States(site).ToDictionary(s => s.Key, s => (s.Info.Columns, s.State), StringComparer.Ordinal);
        foreach (var c in db.Status.GetConflicts(int.MaxValue))
        {
            if (!final.TryGetValue(c.Table + ":" + c.Key, out var f))
            {
                continue; // the row is gone: a later delete, consistent with any earlier decision
            }

            if (c.Column is not null && !f.State.IsDeleted)
            {
                int i = f.Columns.ToList().FindIndex(n => string.Equals(n, c.Column, StringComparison.OrdinalIgnoreCase));
                var now = f.State.Clocks[i];
                if (now.Hlc == c.LoserHlc && now.Site == c.LoserSite)
                {
                    return $"{db.SiteId}: audit record {c.Id} ({c.Table} {c.Key}.{c.Column}: {c.Rule}, winner {c.WinnerHlc}@{c.WinnerSite}) "
                        + $"disagrees with the final state {now}";
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Per table, the highest causal length of a tombstone compaction dropped on <paramref name="site"/> (the table's
    /// causal-length floor, docs/design.md §6): a tombstone at or below it may be gone there while a peer keeps it.
    /// Read from the engine's catalog, which no public call exposes.
    /// </summary>
    internal static Dictionary<string, long> CausalFloors(SimSite site)
    {
        var floors = new Dictionary<string, long>(StringComparer.Ordinal);
        using var cmd = site.App.CreateCommand();
        cmd.CommandText = "SELECT name, clfloor FROM _edgesync_tables";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            floors[r.GetString(0)] = r.GetInt64(1);
        }

        return floors;
    }

    /// <summary>
    /// Every row state <paramref name="s"/> holds, tombstones included, read key by key over every key the workload
    /// can write (<see cref="SyncDatabase.ReadRowState"/>, after sealing what is pending): unlike a full extraction it
    /// still works once the log was compacted.
    /// </summary>
    internal static IEnumerable<(string Key, Schema.TableInfo Info, RowState State)> States(SimSite s)
    {
        var db = s.Db!;
        db.Capture();
        var keys = RowKeys(s);
        foreach (var info in db.Tables.Where(t => keys.ContainsKey(t.Name)).OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            foreach (var key in keys[info.Name])
            {
                if (db.ReadRowState(info.Name, key) is { } state)
                {
                    yield return (info.Name + ":" + Key(key), info, state);
                }
            }
        }
    }

    /// <summary>Per table, every key the workload can write (for <c>readings</c>, the rows <paramref name="s"/> holds).</summary>
    internal static Dictionary<string, IEnumerable<object?[]>> RowKeys(SimSite s) => new(StringComparer.Ordinal)
    {
        ["readings"] = s.Ids("SELECT id FROM readings").Select(id => new object?[] { id }),
        ["settings"] = FaultWorkload.Keys.Select(k => new object?[] { k }),
        ["items"] = from t in Tenants from c in Enumerable.Range(0, 4) select new object?[] { t, (long)c },
        ["counters"] = Enumerable.Range(1, 5).Select(id => new object?[] { (long)id }),
    };

    /// <summary>A row's key as the conflict audit names it (<c>SqlValue.Display</c>, a composite key in parentheses).</summary>
    internal static string Key(object?[] key) =>
        key.Length == 1 ? SqlValue.Display(key[0]) : "(" + string.Join(", ", key.Select(SqlValue.Display)) + ")";
}
