namespace EdgeSync.Internal;

/// <summary>
/// Named places inside EdgeSync's write transactions where a test can make the engine fail as the disk or the process
/// would (BUGGIFY-style): the simulation installs a handler that throws SQLite's <c>SQLITE_FULL</c> or
/// <c>SQLITE_IOERR</c>, or a crash, at seeded random hits. Compiled in always, inert unless a handler is installed;
/// the handler belongs to the installing flow (an <see cref="AsyncLocal{T}"/>), so tests running in parallel do not
/// see each other's faults. A hit costs one volatile read when no handler was ever installed.
/// </summary>
/// <remarks>The points, each inside an open write transaction: <c>commit</c> (just before <c>COMMIT</c>, every
/// transaction), <c>capture.seal</c>, <c>apply.rows</c>, <c>compact.floors</c>, <c>reincarnate.run</c> and
/// <c>reincarnate.retire</c>.</remarks>
internal static class FaultPoints
{
    private static readonly AsyncLocal<Action<string>?> Handler = new();
    private static volatile bool s_everInstalled;

    /// <summary>Passes <paramref name="point"/> to the installed handler, which may throw; nothing when none is installed.</summary>
    public static void Hit(string point)
    {
        if (s_everInstalled && Handler.Value is { } handler)
        {
            handler(point);
        }
    }

    /// <summary>Installs <paramref name="handler"/> for this flow until the returned scope is disposed.</summary>
    public static IDisposable Install(Action<string> handler)
    {
        var previous = Handler.Value;
        Handler.Value = handler;
        s_everInstalled = true;
        return new Scope(previous);
    }

    private sealed class Scope(Action<string>? previous) : IDisposable
    {
        public void Dispose() => Handler.Value = previous;
    }
}
