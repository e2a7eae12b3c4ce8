using System.CommandLine;
using EdgeSync.Bench.Internal;
using EdgeSync.Bench.Scenarios;

// dotnet run -c Release --project bench/EdgeSync.Bench -- <capture|capture-unique|merge|sync|lag|noop|growth|memory|idle|schema|verify|retention|manydb|fanout|lagshare|catchup|console|ack|export> [--json] [--rows N] [--runs K]
// (lag, idle, lagshare and retention take --seconds S instead of --rows; idle takes --databases N, measuring 1, 100 and 500 up to N;
// manydb takes --databases N and fanout --replicas N, each measuring the one-database/one-replica case first; console takes --requests N). Exit codes: 0 measured and verified; 1 a scenario produced a wrong
// result (message on stderr) or the engine threw.

var root = new RootCommand("EdgeSync benchmarks: each scenario measures against raw SQLite or a stated target on this machine.")
{
    Scenario("capture", "Insert rows with no EdgeSync, into an append table, and into an lww table; report rates, ratios to raw and seal time.",
        "Rows each variant inserts.", defaultRows: 1_000_000, defaultRuns: 5, CaptureScenario.Run),
    Scenario("capture-unique", "The capture scenario on a table with a secondary unique index (UNIQUE(ts)) in every variant, raw included.",
        "Rows each variant inserts.", defaultRows: 1_000_000, defaultRuns: 5, CaptureScenario.RunUnique),
    Scenario("merge", "Apply a peer's lww changes (half updates of shared rows, half new rows); report changes per second.",
        "Changes applied (half updates, half inserts).", defaultRows: 100_000, defaultRuns: 3, MergeScenario.Run),
    Scenario("sync", "Rows inserted on agent A until committed on agent B over loopback gRPC; rate and ratio to raw SQLite inserts.",
        "Rows the application inserts on A.", defaultRows: 1_000_000, defaultRuns: 3, SyncScenario.Run),
    ScenarioWithRate("lag", "Sustained paced ingest on agent A (a transaction every 10 ms, --rate rows/s); lag from commit on A to visible on B, p50 and p99.",
        "Seconds of ingest per run.", defaultRows: 30, defaultRuns: 3, LagScenario.Run, rowsName: "--seconds",
        rate: ("--rate", "Rows per second to ingest (in 100 transactions per second).", LagScenario.DefaultRate)),
    Scenario("noop", "A sync pass that finds nothing to do, against live agent A: a conversation's full-list exchange, a Pull of an up-to-date vector, and the engine's part alone.",
        "Rows both replicas hold.", defaultRows: 10_000, defaultRuns: 200, NoopScenario.Run, runsDescription: "Calls of each kind measured (after 20 unreported)."),
    Scenario("growth", "A large lww table where 100 rows changed: the round that ships them (capture, extract, codec, apply).",
        "Rows in the table.", defaultRows: 10_000_000, defaultRuns: 20, GrowthScenario.Run, runsDescription: "Measured rounds of 100 changed rows."),
    Scenario("memory", "Peak RSS of agent B, a separate 'edgesync serve' process, while it receives the sync workload.",
        "Rows the application inserts on A.", defaultRows: 1_000_000, defaultRuns: 3, MemoryScenario.Run),
    ScenarioWithRate("idle", "Two 'edgesync serve' processes hosting the same N databases, each the other's peer, nothing written: CPU share of one core and RSS of each.",
        "Seconds of the measured window.", defaultRows: 30, defaultRuns: 1, IdleScenario.Run, rowsName: "--seconds",
        runsDescription: "Runs per size; medians are reported.",
        rate: ("--databases", "Largest number of databases per agent (1, 100 and 500 below it are measured too).", 500)),
    Scenario("schema", "ADD COLUMN on a large synced table (metadata added, first new value at the peer) and a rebuild migration of a tenth of it (capture resumed, rows re-sent).",
        "Rows of the table a column is added to (the rebuilt table has a tenth).", defaultRows: 10_000_000, defaultRuns: 3, SchemaScenario.Run,
        runsDescription: "Columns added and rebuilds made; medians are reported."),
    Scenario("verify", "Compare two N-row replicas' content (edgesync verify --peer: digests, differing buckets, their rows) while they agree and "
        + "after 10 rows changed behind EdgeSync's back: seconds and bytes from the agent, against a plain read of both files.",
        "Rows in the table (10000000 for the 10M case).", defaultRows: 1_000_000, defaultRuns: 3, VerifyScenario.Run),
    Scenario("retention", "Insert rate into an append table while retention prunes it (batches of 2,000 rows, a hub holding everything), as a ratio to the rate without pruning.",
        "Seconds of inserting per run.", defaultRows: 10, defaultRuns: 3, RetentionScenario.Run, rowsName: "--seconds"),
    ScenarioWithRate("manydb", "Two 'edgesync serve' processes hosting the same N databases: one row committed into each of 20 of them on A, time until each is in B's file (p50/p99), next to the one-database case.",
        "Databases per agent (the one-database case runs first).", defaultRows: 500, defaultRuns: 5, ManyDbScenario.Run, rowsName: "--databases",
        runsDescription: "Rounds of 20 writes per size; percentiles are over all of them."),
    ScenarioWithRate("fanout", "A change committed at a hub agent, time until each of N replica agents (in this process, the hub their only peer) holds it: p50/p99, next to the one-replica case.",
        "Replica agents (the one-replica case runs first).", defaultRows: 150, defaultRuns: 5, FanoutScenario.Run, rowsName: "--replicas",
        runsDescription: "Changes made at the hub, 2 s apart; percentiles are over every replica of every change."),
    ScenarioWithRate("lagshare", "The raw insert rate of this machine, then the lag scenario at 10, 30 and 50 % of it (p50/p99 from commit on A to visible on B).",
        "Seconds of ingest per lag run.", defaultRows: 10, defaultRuns: 3, LagShareScenario.Run, rowsName: "--seconds"),
    ScenarioWithRate("catchup", "A returning replica catches up on a backlog (N append rows and N/84 lww rows) from an 'edgesync serve' peer: seconds and peak RSS of both processes, next to a raw insert of the same rows.",
        "Append rows in the backlog (4200000: an hour at 1,200 rows/s).", defaultRows: 4_200_000, defaultRuns: 3, CatchupScenario.Run),
    Scenario("console", "The fleet console at a hub that sees 50 factories x 10 replicas on 20 databases (synthetic peer state, the agent's own builder and endpoints): "
        + "p50/p99 of /v1/fleet, a 304, /v1/fleet/{cluster} and /ui, against /healthz/live on the same server.",
        "Requests of each kind per run.", defaultRows: 200, defaultRuns: 3, ConsoleScenario.Run, rowsName: "--requests"),
    Scenario("ack", "Ingest latency at 10,000 rows/s (100-row requests every 10 ms) for ack=local, replicas:2 and hub, on a factory of three replicas and a hub in this process, next to the same inserts into a plain SQLite file.",
        "Seconds of paced ingest per level and run.", defaultRows: 10, defaultRuns: 3, AckScenario.Run, rowsName: "--seconds"),
    Scenario("export", "Rows inserted on a hub until its NATS export has them in an R3 JetStream stream (three local nats-server, JetStream acks); rate and ratio to raw SQLite inserts.",
        "Rows the application inserts on the hub.", defaultRows: 1_000_000, defaultRuns: 3, ExportScenario.Run),
};
return root.Parse(args).Invoke();

static Command Scenario<TReport>(
    string name, string description, string rowsDescription, int defaultRows, int defaultRuns, Func<int, int, TReport> run,
    string rowsName = "--rows", string runsDescription = "Measured runs (after an unreported warm-up); medians are reported.")
    => ScenarioWithRate(name, description, rowsDescription, defaultRows, defaultRuns, (rows, runs, _) => run(rows, runs), rowsName, runsDescription);

// rate: an optional third option (name, description, default) passed to run as its third argument.
static Command ScenarioWithRate<TReport>(
    string name, string description, string rowsDescription, int defaultRows, int defaultRuns, Func<int, int, int, TReport> run,
    string rowsName = "--rows", string runsDescription = "Measured runs (after an unreported warm-up); medians are reported.",
    (string Name, string Description, int Default)? rate = null)
{
    var json = new Option<bool>("--json") { Description = "Print one JSON object on one line instead of text." };
    var rows = new Option<int>(rowsName) { Description = rowsDescription, DefaultValueFactory = _ => defaultRows };
    var runs = new Option<int>("--runs") { Description = runsDescription, DefaultValueFactory = _ => defaultRuns };
    var third = new Option<int>(rate?.Name ?? "--rate") { Description = rate?.Description, DefaultValueFactory = _ => rate?.Default ?? 0 };
    foreach (var option in rate is null ? new[] { rows, runs } : new[] { rows, runs, third })
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
    if (rate is not null)
    {
        command.Options.Add(third);
    }

    command.SetAction(parsed =>
    {
        try
        {
            Report.Write(run(parsed.GetValue(rows), parsed.GetValue(runs), parsed.GetValue(third)), parsed.GetValue(json));
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
