using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Sync;
using EdgeSync.Verify;

namespace EdgeSync.Agent.Verify;

/// <summary>
/// Anti-entropy between this replica and a peer agent: both digests (the peer's over the <c>Digest</c> call), the
/// buckets that differ, those buckets' rows from both sides, and the comparison. Only tables whose changes flow both
/// ways between the two roles are compared (an <c>up</c> table legitimately holds more at a hub than at a factory).
/// </summary>
internal static class ContentCheck
{
    /// <summary>The tables of <paramref name="hosted"/> whose changes flow both ways between its role and <paramref name="other"/>.</summary>
    public static Func<string, bool> FlowsBothWays(HostedDatabase hosted, AgentRole other) => table =>
    {
        var direction = hosted.DirectionOf(table);
        return DirectionFilter.Allows(direction, hosted.Role, other) && DirectionFilter.Allows(direction, other, hosted.Role);
    };

    /// <summary>
    /// Compares <paramref name="hosted"/> with the peer behind <paramref name="remote"/>. With
    /// <paramref name="onlyWhenQuiescent"/>, rows are compared only when both vectors are equal (else the result says
    /// not quiescent and compares nothing); without it, always.
    /// </summary>
    public static async Task<ContentCheckResult> RunAsync(HostedDatabase hosted, RemoteDigest remote, bool onlyWhenQuiescent, int bucketCount,
        string? localName, string? remoteName, CancellationToken cancellationToken)
    {
        var (theirs, peerRole) = await remote.DigestAsync(hosted.Site, hosted.Name, hosted.Role, bucketCount, cancellationToken).ConfigureAwait(false);
        var mine = await Task.Run(() => hosted.Db.Digest(bucketCount, FlowsBothWays(hosted, peerRole), cancellationToken), cancellationToken).ConfigureAwait(false);
        bool quiescent = SameVector(mine.Vector, theirs.Vector);
        localName ??= hosted.Site;
        remoteName ??= theirs.SiteId;
        var compared = mine.Tables.Select(t => t.Name).Union(theirs.Tables.Select(t => t.Name)).Order(StringComparer.Ordinal).ToList();
        if (onlyWhenQuiescent && !quiescent)
        {
            return new ContentCheckResult(theirs.SiteId, false, new DigestComparison(localName, remoteName, []), [], remote.BytesReceived);
        }

        var wanted = DigestComparer.DifferingBuckets(mine, theirs);
        var theirRows = await remote.RowsAsync(hosted.Site, hosted.Name, hosted.Role, bucketCount, wanted, cancellationToken).ConfigureAwait(false);
        var myRows = wanted.Count == 0 ? [] : hosted.Db.DigestRows(wanted, bucketCount, cancellationToken);
        var comparison = DigestComparer.Compare(mine, theirs, myRows, theirRows, localName, remoteName);
        return new ContentCheckResult(theirs.SiteId, quiescent, comparison, compared, remote.BytesReceived);
    }

    private static bool SameVector(IReadOnlyDictionary<string, long> a, IReadOnlyDictionary<string, long> b) =>
        a.Where(e => e.Value > 0).All(e => b.TryGetValue(e.Key, out long v) && v == e.Value)
        && b.Where(e => e.Value > 0).All(e => a.TryGetValue(e.Key, out long v) && v == e.Value);
}
