namespace EdgeSync.Verify;

/// <summary>One row of a requested bucket: its key, its hash, and a hash per column.</summary>
/// <param name="Key">The key values in key order, canonically encoded (equal keys have equal bytes).</param>
/// <param name="Hash">Hash of the whole row (every column).</param>
/// <param name="ColumnHashes">Hash of each column's value, in the order of <see cref="TableDigest.Columns"/>.</param>
public sealed record DigestRow(byte[] Key, UInt128 Hash, ulong[] ColumnHashes);
