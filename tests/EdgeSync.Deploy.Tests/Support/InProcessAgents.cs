namespace EdgeSync.Deploy.Tests.Support;

/// <summary>Tests that run agents in this process run one at a time (they share the static EdgeSync meter and the CPU).</summary>
[CollectionDefinition(Name)]
public sealed class InProcessAgents
{
    public const string Name = "in-process agents";
}
