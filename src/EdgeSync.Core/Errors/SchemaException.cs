namespace EdgeSync.Errors;

/// <summary>A table or database cannot be synced in its current shape, or sync is not enabled on it.</summary>
public sealed class SchemaException : EdgeSyncException
{
    /// <summary>Creates the exception.</summary>
    public SchemaException(ErrorCode code, string table, string message)
        : base(code, message) => Table = table;

    /// <summary>The table the error is about.</summary>
    public string Table { get; }
}
