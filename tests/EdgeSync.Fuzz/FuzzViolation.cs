namespace EdgeSync.Fuzz;

/// <summary>An invariant of a fuzz target did not hold for an input.</summary>
public sealed class FuzzViolation : Exception
{
    /// <summary>Creates the violation.</summary>
    public FuzzViolation(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the violation.</summary>
    public FuzzViolation()
    {
    }

    /// <summary>Creates the violation.</summary>
    public FuzzViolation(string message)
        : base(message)
    {
    }
}
