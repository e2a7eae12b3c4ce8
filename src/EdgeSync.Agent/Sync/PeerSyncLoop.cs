using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using Microsoft.Extensions.Logging;
using Polly;

namespace EdgeSync.Agent.Sync;

/// <summary>
/// The sync loop of one database with one peer, independent of every other loop: a dead or slow peer only delays
/// itself. A round runs at start, after every local change or applied batch (signal), when the peer's watch stream
/// says it has something new, and at least every <see cref="AgentOptions.SyncIntervalMs"/> (stretched up to
/// <see cref="AgentOptions.IdleSyncIntervalMs"/> while rounds move nothing and the watch stream is open). Transient
/// failures are retried by the <see cref="Resilience"/> pipeline; other failures are recorded in <c>cluster_sync</c>
/// and retried at the next trigger. Failures are logged when they start or change kind and recovery once; repeats
/// of the same failure go to Debug.
/// </summary>
internal sealed class PeerSyncLoop : IAsyncDisposable
{
    private readonly HostedDatabase _hosted;
    private readonly PeerClient _client;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _cts = new();
    private readonly ChangeSignal.Subscription _signal;
    private Task _loop = Task.CompletedTask;
    private Task _watch = Task.CompletedTask;
    private int _disposed;
    private string? _failing; // kind of the failure streak being retried (null: the last round succeeded)
    private int _failures;
    private string? _watchFailing;
    private volatile bool _watchLive; // the watch stream is open and has delivered the peer's vector

    public PeerSyncLoop(HostedDatabase hosted, string url, Security.FleetTls? tls, ILogger logger, TimeProvider time)
    {
        _hosted = hosted;
        _client = new PeerClient(hosted, url, tls, logger);
        _logger = logger;
        _time = time;
        _signal = hosted.Changed.Subscribe();
    }

    public string Url => _client.Url;

    public void Start() => _loop = Task.Run(() => RunAsync(_cts.Token));

    private async Task RunAsync(CancellationToken ct)
    {
        var baseInterval = TimeSpan.FromMilliseconds(_hosted.Options.SyncIntervalMs);
        var idleInterval = TimeSpan.FromMilliseconds(Math.Max(_hosted.Options.SyncIntervalMs, _hosted.Options.IdleSyncIntervalMs));
        var interval = baseInterval;
        var pipeline = Resilience.Create(_hosted.Options, _time, args =>
        {
            var e = args.Outcome.Exception!;
            string kind = SyncErrors.Kind(e);
            CountError(kind);
            _hosted.Metrics.Retry(_hosted.Board.TagsFor(_client.PeerSite ?? Url));
            if (NewFailure(kind))
            {
                Log.Retrying(_logger, _hosted.Name, Url, kind, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, e.Message);
            }
            else
            {
                Log.RetryingAgain(_logger, _hosted.Name, Url, kind, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, e.Message);
            }

            return ValueTask.CompletedTask;
        });

        bool first = true;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (!first)
                {
                    await _signal.WaitAsync(interval, ct).ConfigureAwait(false);
                }

                first = false;
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                var result = await pipeline.ExecuteAsync(static async (client, token) => await client.RunRoundAsync(token).ConfigureAwait(false), _client, ct)
                    .ConfigureAwait(false);
                if (result.IsSelf)
                {
                    // A headless Service lists this pod too: stop listening for signals and end the loop.
                    Log.PeerIsSelf(_logger, Url, result.PeerSite);
                    _signal.Dispose();
                    return;
                }

                _hosted.Metrics.Round("ok", _hosted.Board.TagsFor(result.PeerSite));
                Log.RoundCompleted(_logger, _hosted.Name, result.PeerSite, Url, result.Pulled, result.Pushed,
                    System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (_failing is not null)
                {
                    Log.Recovered(_logger, _hosted.Name, result.PeerSite, Url, _failures);
                    (_failing, _failures) = (null, 0);
                }

                // Nothing moved and the peer announces its changes: the periodic round is only a safety net; stretch it.
                interval = result.Pulled + result.Pushed == 0 && _watchLive
                    ? TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, idleInterval.Ticks))
                    : baseInterval;
                if (_watch.IsCompleted)
                {
                    _watch = Task.Run(() => WatchAsync(ct), ct);
                }
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (Exception e)
            {
                string kind = SyncErrors.Kind(e);
                CountError(kind);
                _hosted.Metrics.Round("error", _hosted.Board.TagsFor(_client.PeerSite ?? Url));
                interval = baseInterval;
                if (NewFailure(kind))
                {
                    Log.RoundFailed(_logger, _hosted.Name, Url, kind, e.Message);
                }
                else
                {
                    Log.RoundFailedAgain(_logger, _hosted.Name, Url, kind, e.Message);
                }

                RecordState($"error: {kind}: {e.Message}");
            }
        }
    }

    /// <summary>Keeps a watch stream open to the peer; every announcement of changes this replica lacks triggers a round.</summary>
    private async Task WatchAsync(CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(_hosted.Options.RetryBaseDelayMs);
        var maxDelay = TimeSpan.FromMilliseconds(_hosted.Options.RetryMaxDelayMs);
        var pipeline = Resilience.Create(_hosted.Options, _time, _ =>
        {
            WatchLost();
            return ValueTask.CompletedTask;
        });
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await pipeline.ExecuteAsync(static async (state, token) => await state.Item1._client.WatchAsync(state.Item1._signal.Poke, state.Item2, token).ConfigureAwait(false),
                    (this, (Action)OnWatchEvent), ct).ConfigureAwait(false);
                WatchLost();
                _watchFailing = null;

                // The stream ended (peer restarting): pause before reopening, then run a round to catch up.
                await Task.Delay(delay, _time, ct).ConfigureAwait(false);
                _signal.Poke();
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Not transient (e.g. the peer does not know the call): the periodic rounds still run.
                WatchLost();
                string kind = "watch_" + SyncErrors.Kind(e);
                if (kind != _watchFailing)
                {
                    _watchFailing = kind;
                    Log.RoundFailed(_logger, _hosted.Name, Url, kind, e.Message);
                }
                else
                {
                    Log.RoundFailedAgain(_logger, _hosted.Name, Url, kind, e.Message);
                }

                await Task.Delay(maxDelay, _time, ct).ConfigureAwait(false);
            }
        }
    }

    private void OnWatchEvent() => _watchLive = true;

    // Without announcements the periodic round is all there is: run one now, and keep the interval short (a round
    // that sees the watch not live resets it).
    private void WatchLost()
    {
        if (_watchLive)
        {
            _watchLive = false;
            _signal.Poke();
        }
    }

    /// <summary>Counts a failed attempt; true when it starts a failure streak or changes its kind (worth a log line).</summary>
    private bool NewFailure(string kind)
    {
        _failures++;
        if (kind == _failing)
        {
            return false;
        }

        _failing = kind;
        return true;
    }

    private void CountError(string kind) => _hosted.Metrics.Error(kind, "client");

    private void RecordState(string state)
    {
        try
        {
            string peer = _client.PeerSite ?? Url;
            foreach (var table in _hosted.Db.Tables)
            {
                _hosted.Db.Status.SetSyncState(peer, table.Name, state);
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or EdgeSync.Errors.EdgeSyncException or Microsoft.Data.Sqlite.SqliteException)
        {
            // Best effort: the status table is informational.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _cts.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loop, _watch).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected on cancellation.
        }

        _signal.Dispose();
        _client.Dispose();
        _cts.Dispose();
    }
}
