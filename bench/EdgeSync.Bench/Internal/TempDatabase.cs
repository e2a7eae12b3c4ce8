namespace EdgeSync.Bench.Internal;

/// <summary>A fresh database path in the temp directory; deletes the file and its WAL and shared-memory files on dispose.</summary>
internal sealed class TempDatabase : IDisposable
{
    public TempDatabase(string label)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"edgesync-bench-{label}-{Guid.NewGuid():N}.db");
    }

    public string Path { get; }

    public void Dispose()
    {
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            File.Delete(Path + suffix);
        }
    }
}
