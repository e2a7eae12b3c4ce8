namespace EdgeSync.Protocol;

/// <summary>
/// The changes of one table in a batch: row states, and for <c>append</c> tables insert runs (rows shipped column by
/// column). Values and clocks follow <see cref="Columns"/> (by name).
/// </summary>
public sealed class TableChangeSet
{
    /// <summary>Creates a change set.</summary>
    public TableChangeSet(string table, IReadOnlyList<string> columns, IReadOnlyList<string> keyColumns, IReadOnlyList<RowChange> rows, IReadOnlyList<InsertRun>? runs = null)
    {
        Table = table;
        Columns = columns;
        KeyColumns = keyColumns;
        Rows = rows;
        Runs = runs ?? [];
    }

    /// <summary>
    /// Declared type of each of <see cref="Columns"/> at the sender ("" for none), or null when the sender speaks a
    /// protocol that does not carry them (version 2).
    /// </summary>
    public IReadOnlyList<string>? ColumnTypes { get; init; }

    /// <summary>Table name.</summary>
    public string Table { get; }

    /// <summary>Column names, in the order row values and clocks use.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Primary-key column names, in key order.</summary>
    public IReadOnlyList<string> KeyColumns { get; }

    /// <summary>The row states (besides <see cref="Runs"/>).</summary>
    public IReadOnlyList<RowChange> Rows { get; }

    /// <summary>Insert runs: rows inserted at their origin by one insert range, unboxed.</summary>
    public IReadOnlyList<InsertRun> Runs { get; }

    /// <summary>Rows in <see cref="Rows"/> and <see cref="Runs"/>.</summary>
    public int RowCount
    {
        get
        {
            int n = Rows.Count;
            foreach (var r in Runs)
            {
                n += r.Count;
            }

            return n;
        }
    }

    /// <summary>Every row as a row change: <see cref="Rows"/>, then each run's rows materialized (allocates per row).</summary>
    public IEnumerable<RowChange> AllRows()
    {
        foreach (var row in Rows)
        {
            yield return row;
        }

        foreach (var run in Runs)
        {
            for (int i = 0; i < run.Count; i++)
            {
                yield return run.Materialize(i);
            }
        }
    }
}
