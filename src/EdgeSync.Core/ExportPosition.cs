namespace EdgeSync;

/// <summary>
/// How far an export of the changes of <paramref name="Table"/> made at <paramref name="Site"/> got: every such
/// change with a sequence number up to <paramref name="Sequence"/> is exported.
/// </summary>
public sealed record ExportPosition(string Table, string Site, long Sequence);
