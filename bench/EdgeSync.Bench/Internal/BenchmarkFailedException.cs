namespace EdgeSync.Bench.Internal;

/// <summary>A scenario produced a wrong result; its numbers must not be reported. The program exits non-zero.</summary>
internal sealed class BenchmarkFailedException : Exception
{
    public BenchmarkFailedException(string message)
        : base(message)
    {
    }

    public BenchmarkFailedException()
    {
    }

    public BenchmarkFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Throws when <paramref name="condition"/> is false.</summary>
    public static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new BenchmarkFailedException(message);
        }
    }
}
