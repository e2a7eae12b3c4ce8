using System.Globalization;

namespace EdgeSync.Storage;

/// <summary>
/// A site id is a base name plus, after a restore from backup, an incarnation suffix <c>~N</c>. A restored copy may
/// hold a state older than sequence numbers its site already issued and peers already hold, so it never writes under
/// the old id again: it continues as the next incarnation, a new origin with its own sequence numbers.
/// </summary>
internal static class SiteIncarnation
{
    public const char Separator = '~';

    public static string BaseOf(string siteId)
    {
        int i = siteId.LastIndexOf(Separator);
        return i > 0 && int.TryParse(siteId.AsSpan(i + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _) ? siteId[..i] : siteId;
    }

    public static string Next(string siteId)
    {
        int i = siteId.LastIndexOf(Separator);
        int n = i > 0 && int.TryParse(siteId.AsSpan(i + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int k) ? k : 1;
        return $"{BaseOf(siteId)}{Separator}{(n + 1).ToString(CultureInfo.InvariantCulture)}";
    }
}
