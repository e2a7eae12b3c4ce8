namespace EdgeSync.Errors;

/// <summary>An argument or option has a value EdgeSync cannot use.</summary>
public sealed class ArgumentValidationException : EdgeSyncException
{
    /// <summary>Creates the exception.</summary>
    public ArgumentValidationException(string message)
        : base(ErrorCode.InvalidArgument, message)
    {
    }
}
