using Microsoft.Data.Sqlite;

namespace EdgeSync.Internal;

/// <summary>
/// Cancellation for a long read on a connection of its own: the token interrupts the statement that is running
/// (<c>sqlite3_interrupt</c>), which then fails with <c>SQLITE_INTERRUPT</c>, reported as <see cref="OperationCanceledException"/>.
/// </summary>
internal static class ReadInterrupt
{
    public static T Run<T>(SqliteConnection connection, Func<T> read, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var registration = cancellationToken.Register(static c => SQLitePCL.raw.sqlite3_interrupt(((SqliteConnection)c!).Handle), connection);
        try
        {
            return read();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == SQLitePCL.raw.SQLITE_INTERRUPT && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("the read was cancelled", e, cancellationToken);
        }
    }
}
