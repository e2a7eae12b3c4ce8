namespace EdgeSync.Agent.Export;

/// <summary>
/// One message of the export: the rows of <see cref="Table"/> whose newest change was made at <see cref="Origin"/>
/// with a sequence number in (<see cref="From"/>, <see cref="To"/>], as JSON Lines, in sequence order.
/// </summary>
internal sealed record ExportMessage(string Table, string Origin, long From, long To, int Rows, ReadOnlyMemory<byte> Body, int SchemaVersion);
