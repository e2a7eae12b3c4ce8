namespace EdgeSync.Protocol;

/// <summary>The rows of one table in a batch. Values and clocks in each row follow <see cref="Columns"/> (by name).</summary>
public sealed class TableChangeSet
{
    /// <summary>Creates a change set.</summary>
    public TableChangeSet(string table, IReadOnlyList<string> columns, IReadOnlyList<string> keyColumns, List<RowChange> rows)
    {
        Table = table;
        Columns = columns;
        KeyColumns = keyColumns;
        Rows = rows;
    }

    /// <summary>Table name.</summary>
    public string Table { get; }

    /// <summary>Column names, in the order row values and clocks use.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Primary-key column names, in key order.</summary>
    public IReadOnlyList<string> KeyColumns { get; }

    /// <summary>The rows.</summary>
    public List<RowChange> Rows { get; }
}
