namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Result of the catchup scenario (medians over <see cref="Runs"/>): the seconds from the returning replica's start
/// until its file holds the whole backlog, its peak resident set (<c>VmHWM</c>) and the sender's, next to the seconds
/// the same rows take to insert into a plain file with no EdgeSync on this machine, in the same run.
/// </summary>
internal sealed record CatchupReport(
    string Scenario,
    long AppendRows,
    long LwwRows,
    int Runs,
    double CatchupSeconds,
    double RawInsertSeconds,
    double RatioToRaw,
    double PeakRssMibReturning,
    double PeakRssMibSender);
