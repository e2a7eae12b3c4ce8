namespace EdgeSync.Fault.Tests.Support;

/// <summary>A temporary directory, deleted on dispose unless <see cref="Keep"/> was called (to inspect a failed run).</summary>
public sealed class TempDir : IDisposable
{
    private bool _keep;

    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "edgesync-fault-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

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
