using System.Globalization;
using System.Text;

namespace EdgeSync.Cli.Internal;

/// <summary>How values look in text output: invariant culture, UTC ISO-8601 times, SQL-literal values.</summary>
internal static class Format
{
    private const int MaxLiteral = 60;

    /// <summary>Unix milliseconds as ISO-8601 UTC (<c>2025-11-25T23:44:00.123Z</c>).</summary>
    public static string Iso(long unixMilliseconds) => Iso(DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds));

    /// <summary>A time as ISO-8601 UTC with milliseconds.</summary>
    public static string Iso(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A number with thousands separators.</summary>
    public static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A value as a SQL literal: NULL, 42, 1.5, 'text', X'0A0B' (long ones shortened with …).</summary>
    public static string Literal(object? value)
    {
        string text = value switch
        {
            null => "NULL",
            string s => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'",
            byte[] b => "X'" + Convert.ToHexString(b) + "'",
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
        return text.Length <= MaxLiteral ? text : new StringBuilder(text, 0, MaxLiteral - 1, MaxLiteral).Append('…').ToString();
    }

    /// <summary>Writes rows as left-aligned columns separated by two spaces, each line indented.</summary>
    public static void Table(TextWriter output, string indent, IReadOnlyList<string[]> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var widths = new int[rows.Max(r => r.Length)];
        foreach (var row in rows)
        {
            for (int i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        foreach (var row in rows)
        {
            var line = new StringBuilder(indent);
            for (int i = 0; i < row.Length; i++)
            {
                line.Append(i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i] + 2));
            }

            output.WriteLine(line.ToString());
        }
    }
}
