using Microsoft.Extensions.Logging;

namespace EdgeSync.Internal;

/// <summary>Source-generated log messages of EdgeSync.Core. Event ids: 1000–1099 engine, 1100–1199 apply.</summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Opened {Path} as site {Site} with {Tables} synced tables")]
    public static partial void Opened(ILogger logger, string path, string site, int tables);

    [LoggerMessage(1001, LogLevel.Information, "Enabled sync on table {Table}: policy {Policy}, capture {Mode}")]
    public static partial void TableEnabled(ILogger logger, string table, string policy, string mode);

    [LoggerMessage(1002, LogLevel.Debug, "Captured {Changes} local changes ({RangeRows} through insert ranges)")]
    public static partial void Captured(ILogger logger, int changes, int rangeRows);

    [LoggerMessage(1003, LogLevel.Information, "Compacted {LogEntries} log entries and {Tombstones} tombstones")]
    public static partial void Compacted(ILogger logger, int logEntries, int tombstones);

    [LoggerMessage(1004, LogLevel.Warning, "Found {Rows} append rows inserted below rows already captured; captured them now. Give each site increasing ids to sync them without delay")]
    public static partial void LateRowsFound(ILogger logger, int rows);

    [LoggerMessage(1005, LogLevel.Warning, "A peer holds changes of site {Previous} up to {PeerSeq}, more than this database: it lost changes it had issued (empty or old volume). Continuing as {Site}; its own lost changes come back from peers")]
    public static partial void Reincarnated(ILogger logger, string previous, string site, long peerSeq);

    [LoggerMessage(1006, LogLevel.Warning, "The last process that wrote this database as site {Previous} did not close it (a crash, a power cut, or its files were put back to an earlier copy): it may have lost changes it had issued. Continuing as {Site}; anything lost comes back from peers")]
    public static partial void Retired(ILogger logger, string previous, string site);

    [LoggerMessage(1007, LogLevel.Warning, "This site's clock had run ahead: its last HLC {Hlc} is more than {DriftMinutes} minutes past the wall clock, so peers refuse its changes. Clock set back; continuing as {Site} with every write of {Previous} re-stamped now")]
    public static partial void ClockRanAhead(ILogger logger, string hlc, double driftMinutes, string previous, string site);

    [LoggerMessage(1008, LogLevel.Information, "Schema of table {Table} changed (version {Version}): added [{Added}], dropped [{Dropped}], retyped [{Retyped}]; sync goes on, columns travel by name")]
    public static partial void SchemaChanged(ILogger logger, string table, int version, string added, string dropped, string retyped);

    [LoggerMessage(1009, LogLevel.Warning, "Capture triggers of table {Table} were missing (a rebuild migration drops them with the old table); installed again, the table keeps its sync identity and history. {Found} writes made meanwhile were found from the rows and captured; an update of a row captured in an insert range and never updated since cannot be told ('edgesync schema apply' leaves no gap)")]
    public static partial void TriggersReinstalled(ILogger logger, string table, int found);

    [LoggerMessage(1010, LogLevel.Error, "Sync of table {Table} stopped ({Change}): {Detail}. What to do: {Remedy}. Every other table keeps syncing")]
    public static partial void SchemaDrift(ILogger logger, string table, string change, string detail, string remedy);

    [LoggerMessage(1011, LogLevel.Information, "Table {Table}: wrote {Count} values of newly added columns [{Columns}] that peers had sent before this replica had them")]
    public static partial void StashApplied(ILogger logger, string table, int count, string columns);

    [LoggerMessage(1012, LogLevel.Warning, "Table {Table}: column {Column} is declared {LocalType} here but {PeerType} at a peer; values of it from peers are kept aside, not applied (both sides keep their data). Give the column the same type everywhere (docs/schema.md)")]
    public static partial void TypeConflict(ILogger logger, string table, string column, string localType, string peerType);

    [LoggerMessage(1013, LogLevel.Information, "Schema of table {Table} is carried again (version {Version}); sync of it resumes")]
    public static partial void SchemaDriftResolved(ILogger logger, string table, int version);

    [LoggerMessage(1014, LogLevel.Information, "Gave {Events} withheld changes their original clocks back, now that those are no longer in the future; this replica ({Site}) holds and relays them under their origin again")]
    public static partial void WithheldRestored(ILogger logger, int events, string site);

    [LoggerMessage(1015, LogLevel.Warning, "Could not record the vectors {Peers} peers reported ({Reason}); they are recorded when the peers report them again")]
    public static partial void PeerVectorsNotRecorded(ILogger logger, int peers, string reason);

    [LoggerMessage(1100, LogLevel.Debug, "Applied batch from {Peer}: {Applied} applied, {Skipped} already known, {Conflicts} conflicts")]
    public static partial void BatchApplied(ILogger logger, string peer, int applied, int skipped, int conflicts);

    [LoggerMessage(1101, LogLevel.Warning, "Rejected batch from {Peer} ({Code}): {Reason}")]
    public static partial void BatchRejected(ILogger logger, string peer, string code, string reason);

    [LoggerMessage(3800, LogLevel.Information, "Capture triggers of table {Table} were brought up to date (an earlier version's, or a unique index was created or dropped); {Found} writes they missed (such as rows an INSERT OR REPLACE deleted through a unique index) were found from the rows and captured")]
    public static partial void TriggersUpdated(ILogger logger, string table, int found);
}
