using System.Text;

namespace EdgeSync.Agent.Export;

/// <summary>
/// Subject and header names of exported messages (docs/lifecycle.md). Names become subject tokens one-to-one:
/// letters, digits, <c>_</c> and <c>-</c> stay, every other byte of their UTF-8 becomes <c>~XX</c> (hex) — site
/// ids never contain <c>~</c>, and a site id's <c>/</c> separates tokens, so <c>factory-001/sqlite-edge-0</c> is
/// <c>factory-001.sqlite-edge-0</c>.
/// </summary>
internal static class ExportSubjects
{
    public const string Database = "EdgeSync-Database";
    public const string Table = "EdgeSync-Table";
    public const string Origin = "EdgeSync-Origin";
    public const string SeqFrom = "EdgeSync-Seq-From";
    public const string SeqTo = "EdgeSync-Seq-To";
    public const string Rows = "EdgeSync-Rows";
    public const string SchemaVersion = "EdgeSync-Schema-Version";
    public const string Columns = "EdgeSync-Key-Columns";

    /// <summary><c>{prefix}.{database}.{table}.{origin tokens}</c>.</summary>
    public static string Subject(string prefix, string database, string table, string origin) =>
        $"{prefix}.{Token(database)}.{Token(table)}.{string.Join('.', origin.Split('/').Select(Token))}";

    /// <summary>The subjects of a stream holding every database's export under <paramref name="prefix"/>.</summary>
    public static string StreamSubjects(string prefix) => prefix + ".>";

    /// <summary>
    /// <c>Nats-Msg-Id</c> of the message starting after <paramref name="from"/>: a function of where the message
    /// starts only, so a retry that carries more rows than the first attempt is still recognised as the same
    /// message (the exporter then reads back where the stream is and goes on from there).
    /// </summary>
    public static string MessageId(string database, string table, string origin, long from) => $"{database}:{table}:{origin}:{from}";

    public static string Token(string name)
    {
        if (name.Length == 0)
        {
            return "~";
        }

        var sb = new StringBuilder(name.Length);
        foreach (var b in Encoding.UTF8.GetBytes(name))
        {
            char c = (char)b;
            if (c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-')
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('~').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }
}
