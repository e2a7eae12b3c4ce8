using EdgeSync.Clocks;

namespace EdgeSync.Tests.Support;

public static class VectorExtensions
{
    public static VersionVector Of(params (string Site, long Seq)[] entries) =>
        VersionVector.From(entries.Select(e => new KeyValuePair<string, long>(e.Site, e.Seq)));
}
