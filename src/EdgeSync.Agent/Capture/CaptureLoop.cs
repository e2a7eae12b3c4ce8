using System.Diagnostics;
using EdgeSync.Agent.Diagnostics;
using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Capture;

/// <summary>
/// Notices commits from any process within a few milliseconds without polling while nothing happens. A write to the
/// database's <c>-wal</c> file (<see cref="WalWatch"/>) or a capture request wakes the loop; it then checks
/// <c>PRAGMA data_version</c> (a read of the WAL index, no I/O) on a dedicated read connection every
/// <see cref="AgentOptions.CaptureIntervalMs"/> (on the process's <see cref="HotTicker"/> beat) for as long as writes keep coming and <see cref="HotWindow"/> after
/// the last one (a commit becomes visible in the WAL index just after its last write), and captures and signals the
/// peer loops when the version moved. Quiet, it checks anyway in case a notification was lost, after
/// <see cref="SafetyPoll"/> and then less often, doubling to <see cref="MaxSafetyPoll"/>; where the directory cannot be watched it polls instead, backing off from the capture interval to
/// <see cref="MaxPollWithoutWatch"/>. For <see cref="AuditWindow"/> after a capture that sealed changes it also
/// captures once a second regardless (the engine's periodic audit of append tables runs from there); writes that
/// seal nothing (the engine's own bookkeeping after a sync round) do not extend it. <c>edgesync_capture_lag_seconds</c> bounds the time
/// from commit to capture; <c>edgesync_capture_heartbeat_age_seconds</c> shows a stalled loop. While an application
/// holds the write lock the loop tries again as soon as the <c>-wal</c> file is written (the application's commit:
/// the lock is free only between its transactions), and at least every <see cref="LockRetry"/>, awaiting between
/// attempts: a thread blocked in that wait was a thread the pool's other work (extraction, apply, the streams) lacked
/// on a small machine.
/// </summary>
internal sealed class CaptureLoop : IAsyncDisposable
{
    /// <summary>How long the loop keeps polling fast after the last write or change.</summary>
    public static readonly TimeSpan HotWindow = TimeSpan.FromMilliseconds(50);

    /// <summary>How often a watched database is checked anyway, at first after it goes quiet.</summary>
    public static readonly TimeSpan SafetyPoll = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest pause between checks of a quiet, watched database: the safety poll doubles from
    /// <see cref="SafetyPoll"/> to this while nothing happens, so an idle agent with 500 databases wakes about 60 times a
    /// second, not 500. A notification the kernel loses without saying so is noticed within this; a queue overflow
    /// (which it does report) wakes every loop at once.
    /// </summary>
    public static readonly TimeSpan MaxSafetyPoll = TimeSpan.FromSeconds(8);

    /// <summary>The longest pause between checks of a quiet database whose directory cannot be watched.</summary>
    public static readonly TimeSpan MaxPollWithoutWatch = TimeSpan.FromMilliseconds(50);

    private static readonly TimeSpan FullCaptureInterval = TimeSpan.FromSeconds(1);

    /// <summary>The longest pause between attempts to take the write lock an application holds (a write to the <c>-wal</c> file ends it at once).</summary>
    public static readonly TimeSpan LockRetry = TimeSpan.FromMilliseconds(5);

    /// <summary>How long a capture tries to take the write lock before it counts as failed (the next check tries again).</summary>
    public static readonly TimeSpan MaxLockWait = TimeSpan.FromSeconds(10);

    // The engine audits append tables at most every AppendAuditInterval from Capture; keep capturing that long after
    // the last change so the audit sees it, then stop: with data_version unmoved there is nothing to seal or audit.
    public static readonly TimeSpan AuditWindow = new SyncDatabaseOptions().AppendAuditInterval + FullCaptureInterval + FullCaptureInterval;


    private readonly HostedDatabase _hosted;
    private readonly WalWatch? _watch;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _cts = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly SemaphoreSlim _tick = new(0, 1); // the hot ticker's beat
    private readonly Action _onTick;
    private long _firstWrite; // Stopwatch timestamp of the first notified write since the last check; 0 = none
    private int _disposed;
    private Task _task = Task.CompletedTask;

    public CaptureLoop(HostedDatabase hosted, WalWatch? watch, ILogger logger)
    {
        _hosted = hosted;
        _watch = watch;
        _logger = logger;
        _onTick = () => Release(_tick);
    }

    public void Start() => _task = Task.Run(() => RunAsync(_cts.Token));

    private async Task RunAsync(CancellationToken ct)
    {
        var csb = new SqliteConnectionStringBuilder { DataSource = _hosted.Db.Path, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        using var connection = new SqliteConnection(csb.ToString());
        connection.Open();
        using var poll = connection.CreateCommand();
        poll.CommandText = "PRAGMA data_version";
        using var subscription = _watch?.Subscribe(_hosted.Db.Path, OnWrite, OnWrite,
            e => Log.CaptureUnwatched(_logger, _hosted.Name, e.Message));
        _hosted.SetCaptureWake(Wake);
        long seen = (long)poll.ExecuteScalar()!;
        long quietSince = Stopwatch.GetTimestamp();
        if (await CaptureNowAsync(quietSince, CancellationToken.None).ConfigureAwait(false) < 0)
        {
            seen = long.MinValue; // what was committed before start is retried at the first check
        }

        long lastCapture = Stopwatch.GetTimestamp(), lastChange = lastCapture, lastActivity = lastCapture;
        var fast = TimeSpan.FromMilliseconds(_hosted.Options.CaptureIntervalMs);
        var unwatchedDelay = fast;
        var safetyPoll = SafetyPoll;
        var ticker = HotTicker.For(fast);
        bool hot = false;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                bool hotNow = Stopwatch.GetElapsedTime(lastActivity) < HotWindow;
                if (hot != hotNow)
                {
                    if (hotNow)
                    {
                        ticker.Join(_onTick);
                    }
                    else
                    {
                        ticker.Leave(_onTick);
                    }

                    hot = hotNow;
                }

                if (hotNow)
                {
                    unwatchedDelay = fast;
                    _tick.Wait(0, CancellationToken.None); // a beat that came during the last check: wait for the next, so checks keep a pause between them
                    await _tick.WaitAsync(ct).ConfigureAwait(false);
                }
                else if (subscription is not null)
                {
                    // Once a second while the audit window runs (it captures periodically), then stretching while quiet.
                    await WaitForWakeAsync(Stopwatch.GetElapsedTime(lastChange) < AuditWindow ? SafetyPoll : safetyPoll, ct).ConfigureAwait(false);
                }
                else
                {
                    unwatchedDelay = TimeSpan.FromTicks(Math.Min(unwatchedDelay.Ticks * 2, Math.Max(fast.Ticks, MaxPollWithoutWatch.Ticks)));
                    await WaitForWakeAsync(unwatchedDelay, ct).ConfigureAwait(false);
                }

                _hosted.Board.CaptureHeartbeat();
                long write = Interlocked.Exchange(ref _firstWrite, 0);
                long now = Stopwatch.GetTimestamp();
                if (write != 0)
                {
                    lastActivity = now;
                }

                long version = (long)poll.ExecuteScalar()!;
                bool requested = _hosted.TakeCaptureRequest();
                bool changed = version != seen;
                if (changed)
                {
                    _hosted.CommitSeen();
                }

                if (changed || requested)
                {
                    lastActivity = now;
                }

                bool periodic = Stopwatch.GetElapsedTime(lastCapture) >= FullCaptureInterval && Stopwatch.GetElapsedTime(lastChange) < AuditWindow;
                if (!changed && !requested && !periodic)
                {
                    quietSince = now;
                    safetyPoll = write != 0 ? SafetyPoll : TimeSpan.FromTicks(Math.Min(safetyPoll.Ticks * 2, MaxSafetyPoll.Ticks));
                    continue;
                }

                safetyPoll = SafetyPoll;

                lastCapture = now;

                // The commit finished after the last check that saw no change, and not before its own write was
                // notified: the later of the two bounds the lag.
                int captured = await CaptureNowAsync(write > quietSince ? write : quietSince, ct).ConfigureAwait(false);
                if (captured >= 0)
                {
                    seen = version; // a failed capture (busy, full, I/O) leaves the commit unseen: the next check retries it
                }

                if (captured > 0 || requested)
                {
                    lastChange = now;
                }

                quietSince = Stopwatch.GetTimestamp();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (ObjectDisposedException)
        {
            // The database closed under us while stopping.
        }
        finally
        {
            ticker.Leave(_onTick);
            _hosted.SetCaptureWake(null);
        }
    }

    private void OnWrite()
    {
        Interlocked.CompareExchange(ref _firstWrite, Stopwatch.GetTimestamp(), 0);
        Wake();
    }

    private void Wake() => Release(_wake);

    private static void Release(SemaphoreSlim signal)
    {
        if (signal.CurrentCount == 0)
        {
            try
            {
                signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Woken twice at once: one wake-up is pending, which is all the loop needs.
            }
            catch (ObjectDisposedException)
            {
                // A late notification after the loop stopped.
            }
        }
    }

    /// <summary>
    /// Waits for a wake-up or <paramref name="timeout"/>, whichever comes first (the semaphore's own timer: a quiet
    /// loop times out once a second, and that must not cost an exception each time).
    /// </summary>
    private Task<bool> WaitForWakeAsync(TimeSpan timeout, CancellationToken ct) => _wake.WaitAsync(timeout, ct);

    /// <summary>Captures; returns the changes sealed, or -1 when the capture failed (it is retried at the next check).</summary>
    private async Task<int> CaptureNowAsync(long since, CancellationToken ct)
    {
        try
        {
            long waiting = Stopwatch.GetTimestamp();
            EdgeSync.Capture.CaptureResult? captured;
            while ((captured = _hosted.Db.TryCapture(ct)) is null)
            {
                if (Stopwatch.GetElapsedTime(waiting) >= MaxLockWait)
                {
                    _hosted.Metrics.Error("busy", "local");
                    Log.CaptureLockBusy(_logger, _hosted.Name, MaxLockWait.TotalSeconds);
                    return -1;
                }

                _hosted.Board.CaptureHeartbeat(); // waiting for the application, not stalled
                await _wake.WaitAsync(LockRetry, ct).ConfigureAwait(false); // a commit just freed the lock, or real time passed
            }

            var result = captured.Value;
            if (result.Changes > 0)
            {
                _hosted.Metrics.CaptureLag(Stopwatch.GetElapsedTime(since).TotalSeconds, _hosted.Board.Tags);
                Log.Captured(_logger, _hosted.Name, result.Changes);
                _hosted.Changed.Notify();
            }

            return result.Changes;
        }
        catch (Exception e) when (e is not ObjectDisposedException && !(e is OperationCanceledException && ct.IsCancellationRequested))
        {
            _hosted.Metrics.Error("capture", "local");
            Log.CaptureFailed(_logger, _hosted.Name, e);
            return -1;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _cts.CancelAsync().ConfigureAwait(false);
        await _task.ConfigureAwait(false);
        _cts.Dispose();
        _wake.Dispose();
        _tick.Dispose();
    }
}
