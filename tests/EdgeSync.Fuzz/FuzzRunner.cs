using System.Diagnostics;

namespace EdgeSync.Fuzz;

/// <summary>
/// Runs a <see cref="FuzzTarget"/> over generated inputs and checks, for each, what every target promises: only
/// documented outcomes (the target's <see cref="FuzzTarget.Execute"/> returns or throws <see cref="FuzzViolation"/>;
/// anything else escaping is a finding), bounded time and bounded managed allocation.
/// </summary>
public static class FuzzRunner
{
    /// <summary>Runs <paramref name="target"/> as <paramref name="options"/> say; progress goes to <paramref name="progress"/>.</summary>
    public static FuzzReport Run(FuzzTarget target, FuzzRunOptions options, TextWriter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        var lastProgress = TimeSpan.Zero;
        var findings = new List<FuzzFinding>();
        long inputs = 0, accepted = 0, refused = 0, mostAllocated = 0;
        var slowest = TimeSpan.Zero;
        for (long i = 0; ; i++)
        {
            if ((options.MaxInputs is { } max && i >= max) || (options.Duration is { } d && clock.Elapsed >= d))
            {
                break;
            }

            byte[] input;
            try
            {
                input = target.Generate(new Random(InputSeed(options.Seed, i)));
            }
            catch (Exception e)
            {
                // A bug in the harness, not in the code under test: report it and go on.
                findings.Add(new FuzzFinding(target.Name, options.Seed, i, $"the generator failed: {e}", null));
                inputs++;
                continue;
            }

            var (outcome, problem, elapsed, allocated) = RunOne(target, input, options.MaxInputTime);
            inputs++;
            slowest = elapsed > slowest ? elapsed : slowest;
            mostAllocated = Math.Max(mostAllocated, allocated);
            if (problem is null)
            {
                accepted += outcome == FuzzOutcome.Accepted ? 1 : 0;
                refused += outcome == FuzzOutcome.Refused ? 1 : 0;
            }
            else
            {
                string? saved = Save(options.FailureDirectory, target.Name, options.Seed, i, input);
                var finding = new FuzzFinding(target.Name, options.Seed, i, problem, saved);
                findings.Add(finding);
                progress?.WriteLine(finding);
                if (options.StopAtFirstFailure)
                {
                    break;
                }
            }

            if (options.ProgressInterval is { } every && clock.Elapsed - lastProgress >= every)
            {
                lastProgress = clock.Elapsed;
                progress?.WriteLine($"{target.Name}: {inputs} inputs, {inputs / clock.Elapsed.TotalSeconds:0} /s, {accepted} accepted, "
                    + $"{refused} refused, {findings.Count} failed, slowest {slowest.TotalMilliseconds:0} ms");
            }
        }

        return new FuzzReport(target.Name, options.Seed, inputs, accepted, refused, findings, clock.Elapsed, slowest, mostAllocated);
    }

    /// <summary>Runs one saved input; null when every invariant held, else what broke.</summary>
    public static string? Replay(FuzzTarget target, byte[] input, TimeSpan? maxInputTime = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        return RunOne(target, input, maxInputTime ?? TimeSpan.FromSeconds(5)).Problem;
    }

    private static (FuzzOutcome Outcome, string? Problem, TimeSpan Elapsed, long Allocated) RunOne(FuzzTarget target, byte[] input, TimeSpan maxTime)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        long start = Stopwatch.GetTimestamp();
        FuzzOutcome outcome = FuzzOutcome.Refused;
        string? problem = null;
        try
        {
            outcome = target.Execute(input);
        }
        catch (FuzzViolation v)
        {
            problem = v.Message + (v.InnerException is { } inner ? $"\n  caused by {inner.GetType().FullName}: {inner.Message}\n{inner.StackTrace}" : "");
        }
        catch (Exception e)
        {
            problem = $"undocumented exception {e.GetType().FullName}: {e.Message}\n{e.StackTrace}";
        }

        var elapsed = Stopwatch.GetElapsedTime(start);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (problem is null && elapsed > maxTime)
        {
            problem = $"took {elapsed.TotalMilliseconds:0} ms (limit {maxTime.TotalMilliseconds:0} ms): unbounded work for one input of {input.Length} bytes";
        }

        if (problem is null && allocated > target.MaxAllocatedBytes)
        {
            problem = $"allocated {allocated / 1024 / 1024} MiB (limit {target.MaxAllocatedBytes / 1024 / 1024} MiB) for one input of {input.Length} bytes";
        }

        return (outcome, problem, elapsed, allocated);
    }

    /// <summary>The seed of input <paramref name="index"/> of a run with <paramref name="seed"/>.</summary>
    public static int InputSeed(int seed, long index)
    {
        // SplitMix64: stable across processes (HashCode is randomised per process).
        ulong z = ((ulong)(uint)seed << 32) ^ (ulong)index;
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)(z ^ (z >> 31));
    }

    private static string? Save(string? directory, string target, int seed, long index, byte[] input)
    {
        if (directory is null)
        {
            return null;
        }

        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, $"{target}-seed{seed}-{index}.bin");
        File.WriteAllBytes(path, input);
        return path;
    }
}
