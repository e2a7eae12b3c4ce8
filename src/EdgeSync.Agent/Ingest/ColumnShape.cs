namespace EdgeSync.Agent.Ingest;

/// <summary>SQLite type affinity of a declared column type (https://sqlite.org/datatype3.html §3.1).</summary>
internal enum Affinity
{
    Integer,
    Text,
    Blob,
    Real,
    Numeric,
}

/// <summary>What ingest validation needs to know about one synced column.</summary>
internal sealed record ColumnShape(string Name, Affinity Affinity, bool NotNull, bool HasDefault, bool IsKey)
{
    /// <summary>A value is required: key columns always; NOT NULL columns without a default.</summary>
    public bool Required => IsKey || (NotNull && !HasDefault);

    public static Affinity AffinityOf(string declaredType)
    {
        var t = declaredType.ToUpperInvariant();
        if (t.Contains("INT", StringComparison.Ordinal))
        {
            return Affinity.Integer;
        }

        if (t.Contains("CHAR", StringComparison.Ordinal) || t.Contains("CLOB", StringComparison.Ordinal) || t.Contains("TEXT", StringComparison.Ordinal))
        {
            return Affinity.Text;
        }

        if (t.Length == 0 || t.Contains("BLOB", StringComparison.Ordinal))
        {
            return Affinity.Blob;
        }

        return t.Contains("REAL", StringComparison.Ordinal) || t.Contains("FLOA", StringComparison.Ordinal) || t.Contains("DOUB", StringComparison.Ordinal)
            ? Affinity.Real
            : Affinity.Numeric;
    }
}
