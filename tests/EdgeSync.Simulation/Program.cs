using System.Diagnostics;
using EdgeSync.Simulation;

// dotnet run -c Release --project tests/EdgeSync.Simulation -- [--seeds N] [--from S] [--steps K] [--topology hub]
if (args.Contains("--topology"))
{
    return TopologyRunner.Run(args); // the hub/factory topology (TopologySimulation)
}

int seeds = Arg("--seeds", 1_000), from = Arg("--from", 1), steps = Arg("--steps", 120);
string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
var clock = Stopwatch.StartNew();
int failed = 0, lostUnseen = 0, falseRecords = 0, sealedAtApply = 0, lostAtApply = 0, rowsUnseen = 0, falseRowRecords = 0;
var faults = new Dictionary<string, int>(StringComparer.Ordinal);
for (int seed = from; seed < from + seeds; seed++)
{
    using var sim = new FaultSimulation(seed, root);
    string? failure = sim.Run(steps);
    (lostUnseen, falseRecords) = (lostUnseen + sim.AuditCounts.LostUnseen, falseRecords + sim.AuditCounts.FalseRecords);
    (sealedAtApply, lostAtApply) = (sealedAtApply + sim.SealedAtApply.Overwritten, lostAtApply + sim.SealedAtApply.LostToAnotherValue);
    (rowsUnseen, falseRowRecords) = (rowsUnseen + sim.RowAudit.Unseen, falseRowRecords + sim.RowAudit.False);

    foreach (var (point, n) in sim.InjectedFaults)
    {
        faults[point] = faults.GetValueOrDefault(point) + n;
    }

    if (failure is not null)
    {
        failed++;
        Console.WriteLine(failure);
        Console.WriteLine($"replay: dotnet run -c Release --project tests/EdgeSync.Simulation -- --from {seed} --seeds 1 --steps {steps}");
    }

    if ((seed - from + 1) % 100 == 0)
    {
        Console.WriteLine($"{seed - from + 1} seeds, {failed} failed, {(seed - from + 1) / clock.Elapsed.TotalSeconds:0.0} seeds/s");
    }
}

Console.WriteLine($"{seeds} seeds from {from}: {failed} failed, {seeds / clock.Elapsed.TotalSeconds:0.0} seeds/s");
Console.WriteLine($"conflict audit: {lostUnseen} writes lost unseen (each must be audited); {falseRecords} records of losses whose winner had seen the loser; "
    + $"{sealedAtApply} application writes sealed by an apply and overwritten in it ({lostAtApply} by another value, each audited there)");
Console.WriteLine($"whole-row audit: {rowsUnseen} writes whose incarnation a delete ended unseen (each must be audited); {falseRowRecords} whole-row records whose winner had held the loser");
Console.WriteLine("faults injected: " + string.Join(", ", faults.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key} {f.Value}")));
return failed == 0 ? 0 : 1;

int Arg(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int v) ? v : fallback;
}
