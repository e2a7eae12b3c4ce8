namespace EdgeSync.Errors;

/// <summary>
/// Base of every error EdgeSync raises on purpose. <see cref="Code"/> is stable and machine-readable;
/// the message says what happened and what the user can do about it.
/// </summary>
public abstract class EdgeSyncException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected EdgeSyncException(ErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException) => Code = code;

    /// <summary>The machine-readable error code.</summary>
    public ErrorCode Code { get; }
}
