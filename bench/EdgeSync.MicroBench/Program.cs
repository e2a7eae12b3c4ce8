using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using EdgeSync.MicroBench;

// dotnet run -c Release --project bench/EdgeSync.MicroBench -- --filter '*'
// Micro-benchmarks of the engine's hot paths (codec, run reader, row merge), each with [MemoryDiagnoser].
// They run in process (no generated project to build per run, which on a shared 2-core machine costs more than the
// measurements) with 3 warm-up and 10 measured iterations; BenchmarkDotNet's own options (--filter, --job, ...) apply.
var config = DefaultConfig.Instance
    .AddJob(Job.Default
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithLaunchCount(1)
        .WithWarmupCount(3)
        .WithIterationCount(10)
        .AsDefault())
    .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "edgesync-microbench"));
BenchmarkSwitcher.FromAssembly(typeof(CodecBenchmarks).Assembly).Run(args, config);
