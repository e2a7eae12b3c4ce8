using EdgeSync.Fuzz;

// dotnet run -c Release --project tests/EdgeSync.Fuzz -- --target decode|apply|ingest|all [--seconds N | --inputs N]
//     [--seed N] [--failures DIR] [--stop-at-first]
// dotnet run -c Release --project tests/EdgeSync.Fuzz -- --target decode|apply|ingest --replay FILE
string target = Arg("--target") ?? "all";
int seed = int.TryParse(Arg("--seed"), out int s) ? s : Environment.TickCount & 0x7FFFFFFF;
string failures = Arg("--failures") ?? Path.Combine(Directory.GetCurrentDirectory(), "fuzz-failures");
string? replay = Arg("--replay");
var names = target == "all" ? new[] { "decode", "apply", "ingest" } : [target];
if (names.Any(n => n is not ("decode" or "apply" or "ingest")))
{
    Console.Error.WriteLine($"unknown target '{target}': use decode, apply, ingest or all");
    return 2;
}

if (replay is not null)
{
    if (names.Length != 1)
    {
        Console.Error.WriteLine("--replay needs one --target");
        return 2;
    }

    using var t = Create(names[0], seed);
    if (t is ApplyTarget apply)
    {
        apply.Reset();
    }

    string? problem = FuzzRunner.Replay(t, File.ReadAllBytes(replay));
    Console.WriteLine(problem is null ? $"{replay}: every invariant holds" : $"{replay}: {problem}");
    return problem is null ? 0 : 1;
}

long? inputs = long.TryParse(Arg("--inputs"), out long n) ? n : null;
var seconds = double.TryParse(Arg("--seconds"), System.Globalization.CultureInfo.InvariantCulture, out double sec) ? sec : (inputs is null ? 60 : (double?)null);
int failed = 0;
foreach (var name in names)
{
    using var t = Create(name, seed);
    Console.WriteLine($"fuzzing {name} with seed {seed}{(seconds is null ? "" : $" for {seconds} s")}{(inputs is null ? "" : $", at most {inputs} inputs")}; failing inputs go to {failures}");
    var report = FuzzRunner.Run(t, new FuzzRunOptions
    {
        Seed = seed,
        MaxInputs = inputs,
        Duration = seconds is { } x ? TimeSpan.FromSeconds(x / names.Length) : null,
        FailureDirectory = failures,
        StopAtFirstFailure = HasFlag("--stop-at-first"),
        ProgressInterval = TimeSpan.FromSeconds(10),
    }, Console.Out);
    Console.WriteLine(report.ToString().Split('\n')[0]);
    failed += report.Findings.Count;
}

return failed == 0 ? 0 : 1;

static FuzzTarget Create(string name, int seed) => name switch
{
    "decode" => new DecodeTarget(seed),
    "apply" => new ApplyTarget(seed),
    _ => new IngestTarget(),
};

string? Arg(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

bool HasFlag(string name) => args.Contains(name);
