namespace EdgeSync.Errors;

/// <summary>A change batch could not be decoded or does not fit the local schema. Nothing of it was applied.</summary>
public sealed class InvalidBatchException : EdgeSyncException
{
    /// <summary>Creates the exception.</summary>
    public InvalidBatchException(string message, Exception? innerException = null)
        : base(ErrorCode.InvalidBatch, message, innerException)
    {
    }
}
