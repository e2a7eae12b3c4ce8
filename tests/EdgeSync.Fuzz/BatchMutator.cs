using EdgeSync.Clocks;
using EdgeSync.Merge;
using EdgeSync.Protocol;

namespace EdgeSync.Fuzz;

/// <summary>
/// Structure-aware mutations of a <see cref="ChangeBatch"/>, through its public constructors: the inputs a buggy or
/// hostile peer can send that decode fine — unknown, renamed, duplicated or missing tables and columns, key columns
/// that differ, values of the wrong type, keys that do not match the row, clocks far in the future or negative,
/// huge sequence numbers and causal lengths, odd site ids, ranges and vectors that claim too much, duplicated rows.
/// </summary>
public static class BatchMutator
{
    private static readonly object?[] OddValues =
    [
        null, 0L, -1L, long.MaxValue, long.MinValue, 0.5, double.NaN, double.PositiveInfinity, -0.0, "", "x",
        "'; DROP TABLE readings; --", "\"quoted\"", new string('z', 5000), Array.Empty<byte>(), new byte[] { 0, 1, 2 }, "\u0000nul",
    ];

    private static readonly string[] OddNames =
    [
        "", "nope", "READINGS", "readings ", "_edgesync_log", "sqlite_master", "\"", "a\"b", "x'; --", "id", "value", "\u00e9t\u00e9", new string('n', 300),
    ];

    /// <summary>Applies 1–<paramref name="max"/> structural mutations.</summary>
    public static ChangeBatch Mutate(ChangeBatch batch, Random random, TimeProvider time, int max = 3)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(time);
        int n = random.Next(1, max + 1);
        for (int i = 0; i < n; i++)
        {
            batch = MutateOnce(batch, random, time);
        }

        return batch;
    }

    private static ChangeBatch MutateOnce(ChangeBatch b, Random random, TimeProvider time)
    {
        // Insert runs are kept as runs, or turned into row states so the row mutations below can reach their rows.
        bool materialize = random.Next(2) == 0;
        var tables = b.Tables.Select(t => materialize
            ? new TableChangeSet(t.Table, [.. t.Columns], [.. t.KeyColumns], [.. t.AllRows()])
            : new TableChangeSet(t.Table, [.. t.Columns], [.. t.KeyColumns], [.. t.Rows], t.Runs)).ToList();
        var ranges = b.Ranges.ToList();
        var vector = b.SenderVector.ToList();
        string sender = b.Sender;
        int ti = tables.Count == 0 ? -1 : random.Next(tables.Count);
        var t = ti >= 0 ? tables[ti] : null;
        switch (random.Next(17))
        {
            case 0 when t is not null: // unknown or odd table name
                tables[ti] = new TableChangeSet(Pick(OddNames, random), t.Columns, t.KeyColumns, t.Rows, t.Runs);
                break;
            case 1 when t is { Columns.Count: > 0 }: // unknown column, or a column renamed to another's name (duplicate)
                var cols = t.Columns.ToArray();
                cols[random.Next(cols.Length)] = random.Next(2) == 0 ? Pick(OddNames, random) : cols[random.Next(cols.Length)];
                tables[ti] = new TableChangeSet(t.Table, cols, t.KeyColumns, t.Rows, t.Runs);
                break;
            case 2 when t is { Columns.Count: > 1 }: // columns in another order (values not moved): values land in other columns
                var shuffled = t.Columns.ToArray();
                random.Shuffle(shuffled);
                tables[ti] = new TableChangeSet(t.Table, shuffled, t.KeyColumns, t.Rows, t.Runs);
                break;
            case 3 when t is not null: // key columns differ
                string[] keys = random.Next(3) switch
                {
                    0 => [],
                    1 => [.. t.KeyColumns, Pick(OddNames, random)],
                    _ => [.. t.KeyColumns.Reverse()],
                };
                tables[ti] = new TableChangeSet(t.Table, t.Columns, keys, t.Rows, t.Runs);
                break;
            case 4 when t is { Rows.Count: > 0 }: // a value of another type
                MutateRow(tables, ti, random, row => row.State.IsDeleted ? row : WithValue(row, random.Next(row.State.Values!.Length), Pick(OddValues, random)));
                break;
            case 5 when t is { Rows.Count: > 0 }: // a key of another type, or that does not match the row's values
                MutateRow(tables, ti, random, row =>
                {
                    var key = (object?[])row.Key.Clone();
                    if (key.Length > 0)
                    {
                        key[random.Next(key.Length)] = Pick(OddValues, random);
                    }

                    return row with { Key = random.Next(4) == 0 ? [.. key, 1L] : key };
                });
                break;
            case 6 when t is { Rows.Count: > 0 }: // a clock far in the future, just inside the drift bound, negative, or the maximum
                long now = time.GetUtcNow().ToUnixTimeMilliseconds();
                var hlc = random.Next(5) switch
                {
                    0 => Hlc.From(now + (long)TimeSpan.FromMinutes(5).TotalMilliseconds + random.Next(1, 1_000_000), 0),
                    1 => Hlc.From(now + (long)TimeSpan.FromMinutes(4).TotalMilliseconds, 7),
                    2 => new Hlc(-random.NextInt64(1, long.MaxValue)),
                    3 => new Hlc(long.MaxValue),
                    _ => Hlc.From(now + (long)TimeSpan.FromDays(365 * 30).TotalMilliseconds, 0),
                };
                MutateRow(tables, ti, random, row => WithClocks(row, c => c with { Hlc = hlc }));
                break;
            case 7 when t is { Rows.Count: > 0 }: // sequence numbers at the edges, odd sites
                MutateRow(tables, ti, random, row => WithClocks(row, c => random.Next(3) switch
                {
                    0 => c with { Seq = random.Next(2) == 0 ? 0 : long.MaxValue },
                    1 => c with { Site = Pick(OddNames, random) },
                    _ => c with { PrevSite = Pick(OddNames, random), PrevHlc = new Hlc(random.NextInt64()) },
                }));
                break;
            case 8 when t is { Rows.Count: > 0 }: // causal length at the edges
                MutateRow(tables, ti, random, row =>
                {
                    long cl = random.Next(3) switch { 0 => long.MaxValue, 1 => long.MaxValue - 1, _ => Math.Min(row.State.CausalLength, long.MaxValue / 2) + 2 * random.Next(1, 1000) };
                    return row with
                    {
                        State = cl % 2 == 0 ? RowState.Deleted(cl, row.State.Clocks[0]) : row.State.IsDeleted
                            ? RowState.Deleted(row.State.CausalLength, row.State.Clocks[0])
                            : RowState.Alive(cl, row.State.Values!, row.State.Clocks),
                    };
                });
                break;
            case 9 when t is { Rows.Count: > 0 }: // the wrong number of values and clocks
                MutateRow(tables, ti, random, row =>
                {
                    if (row.State.IsDeleted)
                    {
                        return row;
                    }

                    int n = Math.Max(0, row.State.Values!.Length + (random.Next(2) == 0 ? -1 : 1));
                    var values = new object?[n];
                    var clocks = new CellClock[n];
                    for (int i = 0; i < n; i++)
                    {
                        values[i] = i < row.State.Values.Length ? row.State.Values[i] : 1L;
                        clocks[i] = row.State.Clocks[Math.Min(i, row.State.Clocks.Length - 1)];
                    }

                    return n == 0 ? row : row with { State = RowState.Alive(row.State.CausalLength, values, clocks) };
                });
                break;
            case 10 when t is { Rows.Count: > 0 }: // the same row twice with other values, or a tombstone and a live state of one key
                var dup = t.Rows[random.Next(t.Rows.Count)];
                tables[ti] = new TableChangeSet(t.Table, t.Columns, t.KeyColumns,
                    [.. t.Rows, dup.State.IsDeleted ? dup : WithValue(dup, random.Next(dup.State.Values!.Length), Pick(OddValues, random))], t.Runs);
                break;
            case 11: // ranges: past the end, huge, reversed
                string site = random.Next(2) == 0 && ranges.Count > 0 ? ranges[random.Next(ranges.Count)].Site : Pick(OddNames, random);
                long from = random.Next(3) == 0 ? 0 : random.NextInt64(0, long.MaxValue);
                ranges.Add(new OriginRange(site, from, random.Next(2) == 0 ? long.MaxValue : from + random.Next(0, 1000)));
                break;
            case 12: // a sender vector that claims too much
                vector.Add(new(random.Next(2) == 0 ? BatchCorpus.Sources[random.Next(2)] : Pick(OddNames, random), random.Next(2) == 0 ? long.MaxValue : random.Next(1, 1_000_000)));
                break;
            case 13: // odd sender
                sender = Pick(OddNames, random);
                break;
            case 14 when t is not null: // a table twice, or dropped
                if (random.Next(2) == 0)
                {
                    tables.Add(t);
                }
                else
                {
                    tables.RemoveAt(ti);
                }

                break;
            case 15 when t is { Rows.Count: > 0 }: // a NULL value where the schema says NOT NULL (and in keys)
                MutateRow(tables, ti, random, row => row.State.IsDeleted ? row : WithValue(row, 0, null));
                break;
            default: // rows dropped or reordered
                if (t is { Rows.Count: > 1 })
                {
                    var rows = t.Rows.ToArray();
                    random.Shuffle(rows);
                    tables[ti] = new TableChangeSet(t.Table, t.Columns, t.KeyColumns, [.. rows.Take(random.Next(1, rows.Length + 1))]);
                }

                break;
        }

        return new ChangeBatch(sender, VersionVector.From(vector), ranges, tables);
    }

    private static void MutateRow(List<TableChangeSet> tables, int ti, Random random, Func<RowChange, RowChange> change)
    {
        var t = tables[ti];
        var rows = t.Rows.ToList();
        int i = random.Next(rows.Count);
        rows[i] = change(rows[i]);
        tables[ti] = new TableChangeSet(t.Table, t.Columns, t.KeyColumns, rows, t.Runs);
    }

    private static RowChange WithValue(RowChange row, int column, object? value)
    {
        var values = (object?[])row.State.Values!.Clone();
        values[column] = value;
        return row with { State = RowState.Alive(row.State.CausalLength, values, row.State.Clocks) };
    }

    private static RowChange WithClocks(RowChange row, Func<CellClock, CellClock> change)
    {
        var clocks = row.State.Clocks.Select(change).ToArray();
        return row with
        {
            State = row.State.IsDeleted ? RowState.Deleted(row.State.CausalLength, clocks[0]) : RowState.Alive(row.State.CausalLength, row.State.Values!, clocks),
        };
    }

    private static T Pick<T>(T[] items, Random random) => items[random.Next(items.Length)];
}
