using System.Globalization;
using System.Text;

namespace EdgeSync.Verify;

/// <summary>How one table differs between two replicas (schema and rows).</summary>
public sealed class TableDivergence
{
    internal TableDivergence(string table, string? syncedOnlyIn, IReadOnlyList<string> columnsOnlyInFirst, IReadOnlyList<string> columnsOnlyInSecond,
        IReadOnlyList<string> typeDifferences, long differingRows, bool rowCountIsLowerBound, IReadOnlyList<RowDifference> rows)
    {
        Table = table;
        SyncedOnlyIn = syncedOnlyIn;
        ColumnsOnlyInFirst = columnsOnlyInFirst;
        ColumnsOnlyInSecond = columnsOnlyInSecond;
        TypeDifferences = typeDifferences;
        DifferingRows = differingRows;
        RowCountIsLowerBound = rowCountIsLowerBound;
        Rows = rows;
    }

    /// <summary>Table name.</summary>
    public string Table { get; }

    /// <summary>The name of the only replica that syncs (or has) this table, or null when both do.</summary>
    public string? SyncedOnlyIn { get; }

    /// <summary>Columns the first replica's table has and the second's lacks.</summary>
    public IReadOnlyList<string> ColumnsOnlyInFirst { get; }

    /// <summary>Columns the second replica's table has and the first's lacks.</summary>
    public IReadOnlyList<string> ColumnsOnlyInSecond { get; }

    /// <summary>Columns declared with different types, as <c>name (TYPE1 vs TYPE2)</c>.</summary>
    public IReadOnlyList<string> TypeDifferences { get; }

    /// <summary>Number of rows that differ (see <see cref="RowCountIsLowerBound"/>).</summary>
    public long DifferingRows { get; }

    /// <summary>True when more buckets differ than were compared row by row: then at least <see cref="DifferingRows"/> rows differ.</summary>
    public bool RowCountIsLowerBound { get; }

    /// <summary>The differing rows found, sorted by key.</summary>
    public IReadOnlyList<RowDifference> Rows { get; }

    /// <summary>True when the table's schema differs (columns, types, or synced on one side only).</summary>
    public bool SchemaDiffers => SyncedOnlyIn is not null || ColumnsOnlyInFirst.Count + ColumnsOnlyInSecond.Count + TypeDifferences.Count > 0;

    /// <summary>One line for a person: <c>table settings, 3 rows differ (column unit exists only in a.db)</c>.</summary>
    public string Describe(string firstName, string secondName)
    {
        var text = new StringBuilder("table ").Append(Table);
        if (SyncedOnlyIn is not null)
        {
            return text.Append(CultureInfo.InvariantCulture, $" is synced only in {SyncedOnlyIn}").ToString();
        }

        string rows = DifferingRows == 1 ? "1 row differs" : $"{(RowCountIsLowerBound ? "at least " : "")}{DifferingRows} rows differ";
        text.Append(", ").Append(rows);
        var notes = ColumnsOnlyInFirst.Select(c => $"column {c} exists only in {firstName}")
            .Concat(ColumnsOnlyInSecond.Select(c => $"column {c} exists only in {secondName}"))
            .Concat(TypeDifferences.Select(t => $"column {t}"))
            .ToList();
        if (notes.Count > 0)
        {
            text.Append(" (").AppendJoin("; ", notes).Append(')');
        }

        return text.ToString();
    }
}
