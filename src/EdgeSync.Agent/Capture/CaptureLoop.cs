using System.Diagnostics;
using EdgeSync.Agent.Diagnostics;
using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Capture;

/// <summary>
/// Notices commits from any process within a few milliseconds: polls <c>PRAGMA data_version</c> (a read of the WAL
/// index, no I/O) on a dedicated read connection every <see cref="AgentOptions.CaptureIntervalMs"/>, and when it moved,
/// captures and signals the peer loops. It also captures once a second regardless (the engine's periodic audit of
/// append tables runs from there). <c>edgesync_capture_lag_seconds</c> bounds the time from commit to capture;
/// <c>edgesync_capture_heartbeat_age_seconds</c> shows a stalled loop.
/// </summary>
internal sealed class CaptureLoop : IAsyncDisposable
{
    private static readonly TimeSpan FullCaptureInterval = TimeSpan.FromSeconds(1);

    private readonly HostedDatabase _hosted;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _cts = new();
    private Task _task = Task.CompletedTask;

    public CaptureLoop(HostedDatabase hosted, ILogger logger, TimeProvider time)
    {
        _hosted = hosted;
        _logger = logger;
        _time = time;
    }

    public void Start() => _task = Task.Run(() => RunAsync(_cts.Token));

    private async Task RunAsync(CancellationToken ct)
    {
        var csb = new SqliteConnectionStringBuilder { DataSource = _hosted.Db.Path, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        using var connection = new SqliteConnection(csb.ToString());
        connection.Open();
        using var poll = connection.CreateCommand();
        poll.CommandText = "PRAGMA data_version";
        long seen = (long)poll.ExecuteScalar()!;
        long quietSince = Stopwatch.GetTimestamp();
        long lastCapture = 0;
        CaptureNow(quietSince);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_hosted.Options.CaptureIntervalMs), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                _hosted.Board.CaptureHeartbeat();
                long version = (long)poll.ExecuteScalar()!;
                bool requested = _hosted.TakeCaptureRequest();
                if (version == seen && !requested && Stopwatch.GetElapsedTime(lastCapture) < FullCaptureInterval)
                {
                    quietSince = Stopwatch.GetTimestamp();
                    continue;
                }

                seen = version;
                lastCapture = Stopwatch.GetTimestamp();
                CaptureNow(quietSince);
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
    }

    private void CaptureNow(long quietSince)
    {
        try
        {
            var result = _hosted.Db.Capture();
            if (result.Changes > 0)
            {
                _hosted.Metrics.CaptureLag(Stopwatch.GetElapsedTime(quietSince).TotalSeconds, _hosted.Board.Tags);
                Log.Captured(_logger, _hosted.Name, result.Changes);
                _hosted.Changed.Notify();
            }
        }
        catch (Exception e) when (e is not ObjectDisposedException)
        {
            _hosted.Metrics.Error("capture", "local");
            Log.CaptureFailed(_logger, _hosted.Name, e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync().ConfigureAwait(false);
        await _task.ConfigureAwait(false);
        _cts.Dispose();
    }
}
