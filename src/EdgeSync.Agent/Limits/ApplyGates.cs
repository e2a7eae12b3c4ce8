using System.Collections.Concurrent;

namespace EdgeSync.Agent.Limits;

/// <summary>One <see cref="FairGate"/> per hosted database: pushed batches take turns to decode and apply, fairly across peers.</summary>
internal sealed class ApplyGates
{
    private readonly ConcurrentDictionary<string, FairGate> _gates = new(StringComparer.Ordinal);

    public FairGate For(string database) => _gates.GetOrAdd(database, _ => new FairGate());
}
