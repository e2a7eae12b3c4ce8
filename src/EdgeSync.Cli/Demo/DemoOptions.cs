namespace EdgeSync.Cli.Demo;

/// <summary>What <c>edgesync demo</c> runs: how many replicas, how long and how fast the apps write, and where.</summary>
/// <param name="Replicas">Replica databases, each with its own writer.</param>
/// <param name="Duration">How long the app writers run.</param>
/// <param name="RowsPerSecond">Telemetry rows per second, summed over all replicas.</param>
/// <param name="Directory">Where the databases go; null for a temporary directory deleted at the end.</param>
internal sealed record DemoOptions(int Replicas, TimeSpan Duration, int RowsPerSecond, string? Directory)
{
    /// <summary>How often the writers update the shared config keys, several replicas at the same moment.</summary>
    public TimeSpan ConfigInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long the mesh may take to converge once the writers stopped before the demo reports failure.</summary>
    public TimeSpan ConvergeTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
