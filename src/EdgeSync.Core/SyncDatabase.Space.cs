using EdgeSync.Storage;

namespace EdgeSync;

public sealed partial class SyncDatabase
{
    /// <summary>
    /// Bytes inside the database file that new rows reuse before the file grows (its free pages, left by deleted rows).
    /// A free-space guard counts them with the volume's free space: a volume that looks full may hold a file that
    /// retention has mostly emptied. Reads on its own connection; never waits for the writer.
    /// </summary>
    public long ReusableBytes()
    {
        using var reader = OpenReader();
        return FileSpace.ReusableBytes(reader);
    }
}
