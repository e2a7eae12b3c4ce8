using System.CommandLine;
using EdgeSync.Bench.Internal;
using EdgeSync.Bench.Scenarios;

// dotnet run -c Release --project bench/EdgeSync.Bench -- <capture|merge> [--json] [--rows N] [--runs K]
// Exit codes: 0 measured and verified; 1 a scenario produced a wrong result (message on stderr) or the engine threw.

var root = new RootCommand("EdgeSync benchmarks: each scenario measures against raw SQLite or a stated target on this machine.")
{
    Scenario("capture", "Insert rows with no EdgeSync, into an append table, and into an lww table; report rates, ratios to raw and seal time.",
        "Rows each variant inserts.", defaultRows: 1_000_000, defaultRuns: 5, CaptureScenario.Run),
    Scenario("merge", "Apply a peer's lww changes (half updates of shared rows, half new rows); report changes per second.",
        "Changes applied (half updates, half inserts).", defaultRows: 100_000, defaultRuns: 3, MergeScenario.Run),
};
return root.Parse(args).Invoke();

static Command Scenario<TReport>(string name, string description, string rowsDescription, int defaultRows, int defaultRuns, Func<int, int, TReport> run)
{
    var json = new Option<bool>("--json") { Description = "Print one JSON object on one line instead of text." };
    var rows = new Option<int>("--rows") { Description = rowsDescription, DefaultValueFactory = _ => defaultRows };
    var runs = new Option<int>("--runs") { Description = "Measured runs (after an unreported warm-up); medians are reported.", DefaultValueFactory = _ => defaultRuns };
    foreach (var option in new[] { rows, runs })
    {
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError($"{r.Option.Name} must be at least 1");
            }
        });
    }

    var command = new Command(name, description) { json, rows, runs };
    command.SetAction(parsed =>
    {
        try
        {
            Report.Write(run(parsed.GetValue(rows), parsed.GetValue(runs)), parsed.GetValue(json));
            return 0;
        }
        catch (BenchmarkFailedException e)
        {
            Console.Error.WriteLine($"{name}: FAILED: {e.Message}");
            return 1;
        }
    });
    return command;
}
