using EdgeSync.Merge;
using EdgeSync.Protocol;

namespace EdgeSync.Agent.Security;

/// <summary>
/// The hub's current state of the row with <paramref name="key"/> in <paramref name="table"/>, with values and clocks
/// in the order of <see cref="TableChangeSet.Columns"/>; null when the hub never saw the row.
/// </summary>
internal delegate RowState? StoredRowLookup(TableChangeSet table, object?[] key);
