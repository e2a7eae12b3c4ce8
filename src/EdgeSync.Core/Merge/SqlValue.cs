namespace EdgeSync.Merge;

/// <summary>Helpers for SQLite values held as <c>null</c>, <see cref="long"/>, <see cref="double"/>, <see cref="string"/> or <c>byte[]</c>.</summary>
public static class SqlValue
{
    /// <summary>SQLite's notion of "the same value": same storage class and same content (blobs compared bytewise).</summary>
    public static bool AreEqual(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (long x, long y) => x == y,
        (double x, double y) => x.Equals(y),
        (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        _ => false,
    };

    /// <summary>Normalises a value read from ADO.NET to one of the five SQLite storage classes.</summary>
    public static object? Normalize(object? value) => value switch
    {
        null or DBNull => null,
        long or double or string or byte[] => value,
        int i => (long)i,
        short s => (long)s,
        byte b => (long)b,
        bool b => b ? 1L : 0L,
        float f => (double)f,
        decimal m => (double)m,
        _ => throw new ArgumentException($"values of type {value.GetType().Name} cannot be stored in SQLite by EdgeSync"),
    };

    /// <summary>A short human-readable rendering for logs and the conflict audit.</summary>
    public static string Display(object? value) => value switch
    {
        null => "NULL",
        string s => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'",
        byte[] b => "x'" + Convert.ToHexString(b) + "'",
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
