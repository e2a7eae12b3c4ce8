using System.Diagnostics;
using EdgeSync.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// SQLite's write lock, taken with <c>BEGIN IMMEDIATE</c> with SQLite's own busy handler off, so that a wait for
/// another connection's lock pauses as that handler would and stops as soon as the caller's token is cancelled.
/// </summary>
internal static class WriteLock
{
    private static readonly int[] BusyPausesMs = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];

    /// <summary>
    /// One attempt at <c>BEGIN IMMEDIATE</c> on <paramref name="db"/>: false when another connection holds the write
    /// lock (with <paramref name="throwIfBusy"/>, SQLite's busy error instead). Leaves SQLite's busy timeout at
    /// <paramref name="busyTimeout"/> for the statements that follow.
    /// </summary>
    public static bool TryBegin(SqliteConnection db, bool throwIfBusy, TimeSpan busyTimeout)
    {
        var handle = db.Handle!;
        SQLitePCL.raw.sqlite3_busy_timeout(handle, 0);
        try
        {
            int rc = SQLitePCL.raw.sqlite3_exec(handle, "BEGIN IMMEDIATE");
            if (rc == SQLitePCL.raw.SQLITE_BUSY && !throwIfBusy)
            {
                return false;
            }

            if (rc != SQLitePCL.raw.SQLITE_OK)
            {
                throw RawStatement.ErrorOf(handle, rc);
            }

            return true;
        }
        finally
        {
            SQLitePCL.raw.sqlite3_busy_timeout(handle, (int)busyTimeout.TotalMilliseconds);
        }
    }

    /// <summary>
    /// <c>BEGIN IMMEDIATE</c>, waiting up to <paramref name="busyTimeout"/> while another connection holds the write
    /// lock (then SQLite's busy error); <see cref="OperationCanceledException"/> as soon as
    /// <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public static void Begin(SqliteConnection db, TimeSpan busyTimeout, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        for (int attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryBegin(db, throwIfBusy: Stopwatch.GetElapsedTime(start) >= busyTimeout, busyTimeout))
            {
                return;
            }

            Pause(attempt, cancellationToken);
        }
    }

    /// <summary>
    /// The pause before attempt <paramref name="attempt"/> + 1 to take the write lock: the pauses of SQLite's own busy
    /// handler, so an application writing without pause is slowed as little as by SQLite itself. Returns early, with
    /// <see cref="OperationCanceledException"/>, when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public static void Pause(int attempt, CancellationToken cancellationToken) =>
        Sleep(BusyPausesMs[Math.Min(attempt, BusyPausesMs.Length - 1)], cancellationToken);

    /// <summary>
    /// The pause of a capture waiting for the write lock: <see cref="CapturePauseMs"/>, whatever the attempt. An
    /// application that commits often leaves the lock free only between its transactions, for a few milliseconds;
    /// the growing pauses of <see cref="Pause"/> (up to 100 ms) kept missing those gaps, and under load a capture
    /// waited seconds while commits piled up behind it (<c>bench lagshare</c>). A failed attempt costs a few
    /// microseconds and takes nothing from the application; only a capture with work to take waits at all.
    /// </summary>
    public static void PauseBriefly(CancellationToken cancellationToken) => Sleep(CapturePauseMs, cancellationToken);

    /// <summary>The pause between a capture's attempts to take the write lock, in milliseconds.</summary>
    public const int CapturePauseMs = 1;

    private static void Sleep(int ms, CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.WaitHandle.WaitOne(ms);
            cancellationToken.ThrowIfCancellationRequested();
        }
        else
        {
            Thread.Sleep(ms);
        }
    }
}
