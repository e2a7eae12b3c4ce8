namespace EdgeSync.Agent.Lifecycle;

/// <summary>Free bytes on the volume holding a file (injectable, so tests can make a volume look full).</summary>
internal interface IFreeSpaceProbe
{
    /// <summary>Bytes available to this process on the volume of <paramref name="path"/>, or null when unknown.</summary>
    long? FreeBytes(string path);
}
