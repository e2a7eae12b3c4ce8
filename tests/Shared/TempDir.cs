namespace EdgeSync.Testing;

/// <summary>
/// A fresh temporary directory for one test, deleted (best effort) on dispose unless <see cref="Keep"/> was called
/// to inspect a failed run. Linked into every test project from <c>tests/Shared</c>.
/// </summary>
public sealed class TempDir : IDisposable
{
    private bool _keep;

    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "edgesync-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>A database path in its own subdirectory, so every replica can use the same file name (peers match databases by name).</summary>
    public string Db(string replica)
    {
        var dir = System.IO.Path.Combine(Path, replica.Replace('/', '_'));
        Directory.CreateDirectory(dir);
        return System.IO.Path.Combine(dir, "app.db");
    }

    public void Keep() => _keep = true;

    public void Dispose()
    {
        if (_keep)
        {
            return;
        }

        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
