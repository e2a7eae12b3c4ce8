namespace EdgeSync.Schema;

/// <summary>A migration in the fleet's migration log, and where it stands on this replica.</summary>
/// <param name="Name">Its name (also its name in the applied log).</param>
/// <param name="Gate">The application's gate it waits for (<c>edgesync_schema_gate.allow</c> must reach it).</param>
/// <param name="State"><c>applied</c>, <c>waiting</c> (gate not reached), <c>failed</c>, or <c>pending</c> (allowed, not run yet).</param>
/// <param name="Error">Why it failed here, when it did (nothing of it was applied).</param>
public sealed record PublishedMigration(string Name, long Gate, string State, string? Error);
