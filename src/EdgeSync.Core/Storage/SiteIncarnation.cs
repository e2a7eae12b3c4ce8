using System.Globalization;
using System.Security.Cryptography;

namespace EdgeSync.Storage;

/// <summary>
/// A site id is a base name plus, once the database may have lost changes it issued, an incarnation suffix <c>~N</c>.
/// Such a database never writes under the old id again: it continues as a new incarnation, a new origin with its own
/// sequence numbers. <c>N</c> is random, not a counter kept in the file: two copies of one backup or snapshot hold the
/// same counter, and would otherwise continue as the same incarnation and reuse each other's sequence numbers.
/// </summary>
internal static class SiteIncarnation
{
    public const char Separator = '~';

    public static string BaseOf(string siteId)
    {
        int i = siteId.LastIndexOf(Separator);
        return i > 0 && int.TryParse(siteId.AsSpan(i + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _) ? siteId[..i] : siteId;
    }

    /// <summary>A new incarnation of <paramref name="siteId"/>'s base: <c>base~N</c>, N random in [2, 2³¹).</summary>
    public static string Next(string siteId) =>
        $"{BaseOf(siteId)}{Separator}{(SeededNumbers.Value?.Next(2, int.MaxValue) ?? RandomNumberGenerator.GetInt32(2, int.MaxValue)).ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Test seam: the simulation draws incarnation numbers from its seed, so a failing run replays exactly. Unset: cryptographic randomness.</summary>
    internal static AsyncLocal<Random?> SeededNumbers { get; } = new();
}
