using System.Diagnostics;
using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using EdgeSync.Clocks;
using Microsoft.Extensions.Logging;
using Polly;

namespace EdgeSync.Agent.Sync;

/// <summary>
/// One database in a <see cref="PeerConversation"/>: what the peer is known to hold of it (from the conversation and
/// from rounds), whether a round is due, and the round itself (<see cref="PeerClient.ExchangeAsync(string, AgentRole, EdgeSync.Clocks.VersionVector, CancellationToken)"/>: a pull when the
/// peer has something this replica lacks, a push the other way). Transient failures are retried by the
/// <see cref="Resilience"/> pipeline; others are recorded in <c>cluster_sync</c> and the round is tried again after
/// <see cref="AgentOptions.SyncIntervalMs"/>. A failure streak is logged when it starts or changes kind, its end once.
/// </summary>
internal sealed class PeerLink : IDisposable
{
    /// <summary>
    /// How stale <c>cluster_sync.last_sync_time</c> may grow (plus <see cref="AgentOptions.IdleSyncIntervalMs"/>)
    /// while a connected peer and this replica agree and nothing moves; an exchange that moves changes writes it at once.
    /// </summary>
    public static readonly TimeSpan IdleMarkInterval = TimeSpan.FromMinutes(5);

    private readonly PeerClient _client;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _pipeline;
    private readonly Lock _gate = new();
    private VersionVector _peerVector = VersionVector.Empty;
    private VersionVector _recorded = VersionVector.Empty; // what was last written to the database's peer table
    private const int Idle = 0, Due = 1, Running = 2, RunningAndDue = 3;
    private volatile bool _disposed;
    private int _state; // rounds of one database with one peer never overlap: a round due while one runs waits for it
    private string? _failing; // kind of the failure streak being retried (null: the last round succeeded)
    private int _failures;
    private long _lastMarked;

    public PeerLink(HostedDatabase hosted, PeerChannel channel, ILogger logger, TimeProvider time)
    {
        Hosted = hosted;
        _client = new PeerClient(hosted, channel, logger);
        _logger = logger;
        _pipeline = Resilience.Create(hosted.Options, time, args =>
        {
            var e = args.Outcome.Exception!;
            string kind = SyncErrors.Kind(e);
            CountError(kind);
            Hosted.Metrics.Retry(Hosted.Board.TagsFor(PeerSite));
            if (NewFailure(kind))
            {
                Log.Retrying(_logger, Hosted.Name, Url, kind, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, e.Message);
            }
            else
            {
                Log.RetryingAgain(_logger, Hosted.Name, Url, kind, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, e.Message);
            }

            return ValueTask.CompletedTask;
        });
    }

    public HostedDatabase Hosted { get; }

    /// <summary>The peer's site id for this database (its hello's, or the database entry's).</summary>
    public string PeerSite { get; private set; } = "";

    public AgentRole PeerRole { get; private set; }

    private string Url => _client.Url;

    public VersionVector PeerVector
    {
        get
        {
            lock (_gate)
            {
                return _peerVector;
            }
        }
    }

    /// <summary>
    /// The peer announced <paramref name="vector"/> for this database: remember it, record it (compaction waits for
    /// what peers hold; recorded only when it grew, so idle announcements write nothing), and update the gauges.
    /// </summary>
    public void Observe(string peerSite, AgentRole peerRole, VersionVector vector, CancellationToken cancellationToken)
    {
        PeerSite = peerSite;
        PeerRole = peerRole;
        bool record;
        lock (_gate)
        {
            _peerVector = vector;
            record = !_recorded.Dominates(vector);
            if (record)
            {
                _recorded = _recorded.Merge(vector);
            }
        }

        if (record)
        {
            Hosted.Db.RecordPeerVector(peerSite, vector, cancellationToken);
        }

        Hosted.Board.Observe(peerSite, vector, success: false);
    }

    /// <summary>A conversation (re)opened: record the peer's next vector even if it did not grow (it may have been forgotten meanwhile).</summary>
    public void ResetRecorded()
    {
        lock (_gate)
        {
            _recorded = VersionVector.Empty;
        }
    }

    /// <summary>True when the vectors say something would move one way or the other.</summary>
    public bool Differs(VersionVector local)
    {
        var peer = PeerVector;
        return !local.Dominates(peer) || !peer.Dominates(local);
    }

    /// <summary>
    /// A full list from the peer showed nothing to move: that is this database's round (the vectors were exchanged and
    /// compared, as a handshake did), counted and shown like one (<c>edgesync_last_sync_timestamp_seconds</c>). It is
    /// written to <c>cluster_sync</c> only when it says something new: the link's first confirmation, the first after a
    /// failure, and otherwise at most every <see cref="IdleMarkInterval"/>. Writing it at every full list cost an idle
    /// agent with 500 databases 17 writes a second, each waking its own capture loop.
    /// </summary>
    public void Confirmed(CancellationToken cancellationToken)
    {
        Hosted.Metrics.Round("ok", Hosted.Board.TagsFor(PeerSite));
        Hosted.Board.Observe(PeerSite, PeerVector, success: true);
        bool recovering = _failing is not null;
        Recovered();
        if (_lastMarked == 0 || recovering || Stopwatch.GetElapsedTime(_lastMarked) >= IdleMarkInterval)
        {
            Hosted.Db.Status.MarkSynced(PeerSite, cancellationToken); // cluster_sync: last successful exchange
            _lastMarked = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>
    /// Marks a round due; true when the caller must queue it. False when one already is queued (it will carry the new
    /// changes) or running (it queues another when it ends).
    /// </summary>
    public bool TryMarkDue()
    {
        while (!_disposed)
        {
            int state = Volatile.Read(ref _state);
            int next = state switch { Idle => Due, Running => RunningAndDue, _ => state };
            if (next == state)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _state, next, state) == state)
            {
                return next == Due;
            }
        }

        return false;
    }

    /// <summary>Ends a round; true when another became due meanwhile (the caller queues it).</summary>
    private bool EndRound()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Running) == Running)
        {
            return false;
        }

        Volatile.Write(ref _state, Due); // RunningAndDue
        return true;
    }

    /// <summary>
    /// Runs the due round. <paramref name="again"/> is called when the link must be queued again: with false when a
    /// round became due while this one ran, with true when this one failed (the caller waits before queueing it).
    /// </summary>
    public async Task RunRoundAsync(Action<PeerLink, bool> again, CancellationToken ct)
    {
        if (_disposed)
        {
            return; // dropped from its conversation (one side no longer hosts the database)
        }

        Interlocked.Exchange(ref _state, Running);
        bool ok = false;
        try
        {
            ok = await RoundAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            if (EndRound())
            {
                again(this, false);
            }
            else if (!ok && !ct.IsCancellationRequested && TryMarkDue())
            {
                again(this, true);
            }
        }
    }

    private async Task<bool> RoundAsync(CancellationToken ct)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            var (result, peerVector) = await _pipeline.ExecuteAsync(
                static async (state, token) => await state._client.ExchangeAsync(state.PeerSite, state.PeerRole, state.PeerVector, token).ConfigureAwait(false),
                this, ct).ConfigureAwait(false);
            lock (_gate)
            {
                _peerVector = _peerVector.Merge(peerVector);
            }

            Hosted.Metrics.Round("ok", Hosted.Board.TagsFor(PeerSite));
            Log.RoundCompleted(_logger, Hosted.Name, PeerSite, Url, result.Pulled, result.Pushed, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            Recovered();
            return true;
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            throw new OperationCanceledException(ct);
        }
        catch (ObjectDisposedException)
        {
            return true; // the database closed under the round (stopping, or a removed file): nothing to retry
        }
        catch (Exception e)
        {
            string kind = SyncErrors.Kind(e);
            CountError(kind);
            Hosted.Metrics.Round("error", Hosted.Board.TagsFor(PeerSite));
            if (NewFailure(kind))
            {
                Log.RoundFailed(_logger, Hosted.Name, Url, kind, e.Message);
            }
            else
            {
                Log.RoundFailedAgain(_logger, Hosted.Name, Url, kind, e.Message);
            }

            RecordState($"error: {kind}: {e.Message}", ct);
            return false;
        }
    }

    private void Recovered()
    {
        if (_failing is not null)
        {
            Log.Recovered(_logger, Hosted.Name, PeerSite, Url, _failures);
            (_failing, _failures) = (null, 0);
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

    private void CountError(string kind) => Hosted.Metrics.Error(kind, "client");

    private void RecordState(string state, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var table in Hosted.Db.Tables)
            {
                Hosted.Db.Status.SetSyncState(PeerSite, table.Name, state, cancellationToken);
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or EdgeSync.Errors.EdgeSyncException or Microsoft.Data.Sqlite.SqliteException)
        {
            // Best effort: the status table is informational.
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _client.Dispose();
    }
}
