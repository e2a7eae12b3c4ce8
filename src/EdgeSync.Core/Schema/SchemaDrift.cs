namespace EdgeSync.Schema;

/// <summary>
/// A schema change of a synced table that sync cannot carry (the table was dropped or renamed, its primary key
/// changed, or a column has another declared type at a peer). Sync of that table stops here until it is resolved;
/// every other table keeps syncing.
/// </summary>
/// <param name="Change">What changed, one word: <c>dropped</c>, <c>renamed</c>, <c>key-changed</c>, <c>type-conflict</c>.</param>
/// <param name="Detail">What was found, naming the table and column.</param>
/// <param name="Remedy">What to do about it.</param>
public sealed record SchemaDrift(string Change, string Detail, string Remedy);
