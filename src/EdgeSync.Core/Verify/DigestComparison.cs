namespace EdgeSync.Verify;

/// <summary>The outcome of comparing two replicas' content: every table that differs, with the differing rows found.</summary>
/// <param name="FirstName">How the first replica is named in messages (a file name, a URL).</param>
/// <param name="SecondName">How the second replica is named in messages.</param>
/// <param name="Tables">The tables that differ, sorted by name; empty when the replicas are identical.</param>
public sealed record DigestComparison(string FirstName, string SecondName, IReadOnlyList<TableDivergence> Tables)
{
    /// <summary>True when every column of every row of every synced table is equal on both replicas, and so is the schema.</summary>
    public bool Identical => Tables.Count == 0;

    /// <summary>Rows that differ over all tables (a lower bound when any table's count is).</summary>
    public long DifferingRows => Tables.Sum(t => t.DifferingRows);

    /// <summary>One line per differing table, for a person.</summary>
    public IEnumerable<string> Describe() => Tables.Select(t => t.Describe(FirstName, SecondName));
}
