namespace EdgeSync.Fuzz;

/// <summary>
/// One thing to fuzz. <see cref="Generate"/> makes an input (structure-aware generation plus mutation, deterministic
/// for a given <see cref="Random"/>); <see cref="Execute"/> runs it through the code under test and checks the
/// target's invariants, throwing <see cref="FuzzViolation"/> when one breaks. Any other exception escaping
/// <see cref="Execute"/> is a finding too (an undocumented exception type).
/// </summary>
public abstract class FuzzTarget : IDisposable
{
    /// <summary>Short name used on the command line and in failure file names.</summary>
    public abstract string Name { get; }

    /// <summary>Most managed bytes one input may allocate before it counts as unbounded memory use.</summary>
    public virtual long MaxAllocatedBytes => 256L * 1024 * 1024;

    /// <summary>A new input.</summary>
    public abstract byte[] Generate(Random random);

    /// <summary>Runs one input; returns whether it was accepted or cleanly refused.</summary>
    public abstract FuzzOutcome Execute(byte[] input);

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases scratch databases and files.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}
