namespace EdgeSync.Storage;

/// <summary>
/// The last time a peer refused this replica's changes on purpose (for example a hub's authorization rule), kept in
/// <c>_edgesync_rejections</c> until a later exchange with that peer succeeds.
/// </summary>
/// <param name="Peer">The refusing peer's site id (or URL when its site id is not known yet).</param>
/// <param name="Rule">The rule the peer named (e.g. <c>owner</c>, <c>origin</c>, <c>down-table</c>).</param>
/// <param name="Detail">The peer's explanation: the rule, table and row key of the first violations.</param>
/// <param name="AtMs">Unix milliseconds of the refusal.</param>
public sealed record SyncRejection(string Peer, string Rule, string Detail, long AtMs);
