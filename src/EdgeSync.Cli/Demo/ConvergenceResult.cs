namespace EdgeSync.Cli.Demo;

/// <summary>The verdict of <see cref="ConvergenceCheck"/>.</summary>
/// <param name="Converged">Every site holds what it should.</param>
/// <param name="Elapsed">Time from the end of the writes until convergence was seen (or until the check gave up).</param>
/// <param name="Snapshots">Every site's checksum, rows and conflicts, HQ first.</param>
/// <param name="Problems">What was still wrong at the last look (empty when converged).</param>
internal sealed record ConvergenceResult(bool Converged, TimeSpan Elapsed, IReadOnlyList<SiteSnapshot> Snapshots, IReadOnlyList<string> Problems);
