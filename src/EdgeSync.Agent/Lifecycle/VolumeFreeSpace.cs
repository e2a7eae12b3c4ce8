namespace EdgeSync.Agent.Lifecycle;

/// <summary>The real probe: <c>statvfs</c> of the file's directory through <see cref="DriveInfo"/>.</summary>
internal sealed class VolumeFreeSpace : IFreeSpaceProbe
{
    public long? FreeBytes(string path)
    {
        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? path;
            return new DriveInfo(dir).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
