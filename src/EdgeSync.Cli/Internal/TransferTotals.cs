namespace EdgeSync.Cli.Internal;

/// <summary>What a <see cref="Transfer"/> applied so far.</summary>
internal readonly record struct TransferTotals(int Batches, long Applied, long Skipped, long Conflicts);
