namespace EdgeSync.Verify;

/// <summary>One column of a table as the database declares it now, synced or not.</summary>
/// <param name="Name">Column name as declared.</param>
/// <param name="DeclaredType">Declared type as written in the schema, upper-cased (empty when none).</param>
/// <param name="KeyPosition">1-based position in the primary key, or 0 when the column is not part of it.</param>
public sealed record DigestColumn(string Name, string DeclaredType, int KeyPosition);
