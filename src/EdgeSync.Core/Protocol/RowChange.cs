using EdgeSync.Merge;

namespace EdgeSync.Protocol;

/// <summary>One row's full sync state, keyed by its primary-key values (in key order).</summary>
public readonly record struct RowChange(object?[] Key, RowState State);
