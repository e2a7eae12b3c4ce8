namespace EdgeSync;

/// <summary>
/// Whether the replica <paramref name="site"/> may originate a change of <paramref name="table"/> whose clock names
/// <paramref name="origin"/> (<see cref="SyncDatabaseOptions.MayOriginate"/>). A pure function of its arguments and the
/// host's configuration: the engine calls it inside a write transaction.
/// </summary>
/// <param name="site">This replica's site id (the incarnation whose clock was set right).</param>
/// <param name="table">The table, as enabled.</param>
/// <param name="origin">The site id the change's clock names.</param>
public delegate bool OriginatePredicate(string site, string table, string origin);
