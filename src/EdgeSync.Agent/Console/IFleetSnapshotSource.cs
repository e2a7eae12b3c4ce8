namespace EdgeSync.Agent.Console;

/// <summary>Where the console's model comes from: the running agent (<see cref="FleetSnapshotBuilder"/>) or, in the benchmark, a synthetic fleet.</summary>
internal interface IFleetSnapshotSource
{
    /// <summary>The fleet as of now.</summary>
    FleetSnapshot Build();

    /// <summary>What this agent reports of its own cluster to a hub it calls (see <see cref="ReplicaReports"/>).</summary>
    Protocol.V1.ReplicaReport Report();
}
