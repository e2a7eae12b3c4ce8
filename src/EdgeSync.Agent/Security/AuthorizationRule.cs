namespace EdgeSync.Agent.Security;

/// <summary>
/// The stable names of the hub's authorization rules, used in refusals (gRPC detail and trailer), logs, the
/// <c>rule</c> label of the metrics and <c>edgesync status</c>.
/// </summary>
internal static class AuthorizationRule
{
    /// <summary>A factory sent changes of a <c>down</c> table (writable only by HQ).</summary>
    public const string DownTable = "down-table";

    /// <summary>A factory sent a row owned by another cluster, or changed or deleted a row the hub holds with another owner.</summary>
    public const string Owner = "owner";

    /// <summary>A factory sent a change (or an origin range) it presents as made by a site outside its own cluster.</summary>
    public const string Origin = "origin";
}
