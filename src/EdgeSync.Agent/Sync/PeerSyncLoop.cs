using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using Microsoft.Extensions.Logging;
using Polly;

namespace EdgeSync.Agent.Sync;

/// <summary>
/// The sync loop of one database with one peer, independent of every other loop: a dead or slow peer only delays
/// itself. A round runs at start, after every local change or applied batch (signal), when the peer's watch stream
/// says it has something new, and at least every <see cref="AgentOptions.SyncIntervalMs"/>. Transient failures are
/// retried by the <see cref="Resilience"/> pipeline; other failures are recorded in <c>cluster_sync</c> and retried
/// at the next trigger.
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
        var interval = TimeSpan.FromMilliseconds(_hosted.Options.SyncIntervalMs);
        var pipeline = Resilience.Create(_hosted.Options, _time, args =>
        {
            var e = args.Outcome.Exception!;
            string kind = SyncErrors.Kind(e);
            CountError(kind);
            _hosted.Metrics.Retry(_hosted.Board.TagsFor(_client.PeerSite ?? Url));
            Log.Retrying(_logger, _hosted.Name, Url, kind, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, e.Message);
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
                Log.RoundFailed(_logger, _hosted.Name, Url, kind, e.Message);
                RecordState($"error: {kind}: {e.Message}");
            }
        }
    }

    /// <summary>Keeps a watch stream open to the peer; every announcement of changes this replica lacks triggers a round.</summary>
    private async Task WatchAsync(CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(_hosted.Options.RetryBaseDelayMs);
        var maxDelay = TimeSpan.FromMilliseconds(_hosted.Options.RetryMaxDelayMs);
        var pipeline = Resilience.Create(_hosted.Options, _time, static _ => ValueTask.CompletedTask);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await pipeline.ExecuteAsync(static async (state, token) => await state.Item1.WatchAsync(state.Item2, token).ConfigureAwait(false),
                    (_client, (Action)_signal.Poke), ct).ConfigureAwait(false);

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
                Log.RoundFailed(_logger, _hosted.Name, Url, "watch_" + SyncErrors.Kind(e), e.Message);
                await Task.Delay(maxDelay, _time, ct).ConfigureAwait(false);
            }
        }
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
