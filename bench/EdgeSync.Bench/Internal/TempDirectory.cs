namespace EdgeSync.Bench.Internal;

/// <summary>
/// A fresh directory in the temp directory, deleted with everything in it on dispose. Agents find a peer's database
/// by file name, so the two replicas of a run live under one of these as <c>a/bench.db</c> and <c>b/bench.db</c>.
/// </summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory(string label)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"edgesync-bench-{label}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary><c>{Path}/{side}/bench.db</c>, its directory created.</summary>
    public string Database(string side)
    {
        var dir = System.IO.Path.Combine(Path, side);
        Directory.CreateDirectory(dir);
        return System.IO.Path.Combine(dir, "bench.db");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A child process may still hold a file for a moment; the temp directory is cleaned eventually.
        }
    }
}
