namespace EdgeSync.Agent.Console;

/// <summary>Where the console's model comes from: the running agent (<see cref="FleetSnapshotBuilder"/>) or, in the benchmark, a synthetic fleet.</summary>
internal interface IFleetSnapshotSource
{
    /// <summary>The fleet as of now.</summary>
    FleetSnapshot Build();
}
