using EdgeSync.Verify;

namespace EdgeSync.Cli.Internal;

/// <summary>How <c>verify</c> and <c>sync</c> print a content comparison: one line per differing table, then the first rows.</summary>
internal static class DivergenceOutput
{
    /// <summary>Prints the differences of <paramref name="comparison"/> (nothing when identical), at most <paramref name="maxRows"/> rows per table.</summary>
    public static void Write(TextWriter output, DigestComparison comparison, int maxRows)
    {
        foreach (var table in comparison.Tables)
        {
            output.WriteLine($"diverged: {table.Describe(comparison.FirstName, comparison.SecondName)}");
            foreach (var row in table.Rows.Take(maxRows))
            {
                output.WriteLine(row.Kind switch
                {
                    RowDifferenceKind.OnlyInFirst => $"  {row.Key}: only in {comparison.FirstName}",
                    RowDifferenceKind.OnlyInSecond => $"  {row.Key}: only in {comparison.SecondName}",
                    _ => $"  {row.Key}: {string.Join(", ", row.Columns)} differ{(row.Columns.Count == 1 ? "s" : "")}",
                });
            }

            if (table.Rows.Count > maxRows)
            {
                output.WriteLine($"  … and {Format.N(table.Rows.Count - maxRows)} more rows found");
            }
        }
    }

    /// <summary>Names for two files in messages: their file names when those differ, else the paths as given.</summary>
    public static (string First, string Second) Names(string first, string second)
    {
        string a = Path.GetFileName(first);
        string b = Path.GetFileName(second);
        return string.Equals(a, b, StringComparison.Ordinal) ? (first, second) : (a, b);
    }
}
