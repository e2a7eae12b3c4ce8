namespace EdgeSync.Agent.Tests.Support;

/// <summary>A temporary directory removed at dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "edgesync-agent-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>A database path in its own subdirectory, so every replica can use the same file name (peers match databases by name).</summary>
    public string Db(string replica)
    {
        var dir = System.IO.Path.Combine(Path, replica.Replace('/', '_'));
        Directory.CreateDirectory(dir);
        return System.IO.Path.Combine(dir, "app.db");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
