using System.Text;

namespace EdgeSync.Fault.Tests.Support;

/// <summary>
/// What a user would check on the fleet's database files with plain SQL: every site that must hold a factory's rows
/// (with telemetry <c>up</c>: that factory's replicas and HQ; else every site) holds the same ones (count and sum of
/// ids), no id twice, no telemetry flowed down into another factory, and every acknowledged id is everywhere it must be.
/// </summary>
public static class FleetCheck
{
    /// <param name="acked">Acknowledged ids per factory (1, 2).</param>
    /// <param name="verifyIds">Also read every id and look for each acknowledged one (slower; the summaries usually say enough).</param>
    public static FleetReport Check(EdgeFleet fleet, IReadOnlyDictionary<int, HashSet<long>> acked, bool verifyIds)
    {
        var problems = new List<string>();
        var details = new StringBuilder();
        var summaries = new Dictionary<EdgeSite, IReadOnlyDictionary<long, RowSummary>>();
        foreach (var site in fleet.Sites)
        {
            summaries[site] = ReplicaDatabase.Summarize(site.DbPath);
            details.Append(site.Site).Append(": ")
                .AppendJoin("; ", summaries[site].Select(kv => $"factory {kv.Key}: {kv.Value}")).AppendLine();
        }

        foreach (var (factory, ids) in acked)
        {
            var holders = Holders(fleet, factory);
            foreach (var site in holders)
            {
                var s = summaries[site].GetValueOrDefault(factory);
                if (s.Count != s.DistinctIds)
                {
                    problems.Add($"{site}: {s.Count - s.DistinctIds} duplicate rows of factory {factory}");
                }

                if (s.Count < ids.Count)
                {
                    problems.Add($"{site}: {s.Count} rows of factory {factory}, fewer than the {ids.Count} acknowledged");
                }
            }

            foreach (var site in fleet.TelemetryUp ? fleet.Factory(factory) : [])
            {
                var foreign = summaries[site].Keys.Where(k => k != factory).ToList();
                if (foreign.Count > 0)
                {
                    problems.Add($"{site}: holds telemetry of factory {string.Join(",", foreign)} (telemetry flows up only)");
                }
            }

            var distinct = holders.Select(h => summaries[h].GetValueOrDefault(factory)).Distinct().Count();
            if (distinct > 1)
            {
                problems.Add($"factory {factory}: its replicas and HQ disagree ("
                    + string.Join(" | ", holders.Select(h => $"{h}: {summaries[h].GetValueOrDefault(factory)}")) + ")");
            }
        }

        if (problems.Count == 0 && verifyIds)
        {
            foreach (var (factory, ids) in acked)
            {
                foreach (var site in Holders(fleet, factory))
                {
                    var present = ReplicaDatabase.Ids(site.DbPath);
                    var missing = ids.Where(id => !present.Contains(id)).Order().ToList();
                    if (missing.Count > 0)
                    {
                        problems.Add($"{site}: LOST {missing.Count} acknowledged rows of factory {factory}, e.g. ids "
                            + string.Join(", ", missing.Take(10)));
                    }
                }
            }
        }

        return new FleetReport(problems, details.ToString());
    }

    private static List<EdgeSite> Holders(EdgeFleet fleet, int factory) =>
        fleet.TelemetryUp ? [.. fleet.Factory(factory), fleet.Hq] : [.. fleet.Sites];
}

/// <summary>The outcome of <see cref="FleetCheck.Check"/>: what is wrong (nothing once converged) and every replica's summary.</summary>
public sealed record FleetReport(IReadOnlyList<string> Problems, string Summaries)
{
    public bool Converged => Problems.Count == 0;

    public override string ToString() => (Converged ? "converged" : string.Join("\n", Problems)) + "\n" + Summaries;
}
