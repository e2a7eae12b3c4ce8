using System.Diagnostics;
using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using EdgeSync.Clocks;
using Microsoft.Extensions.Logging;
using Polly;

namespace EdgeSync.Agent.Sync;

/// <summary>
/// One database in a <see cref="PeerConversation"/>: what the peer is known to hold of it (from the conversation and
/// from rounds), whether a round is due, and the rounds themselves (<see cref="PeerClient.ExchangeAsync(string, AgentRole, EdgeSync.Clocks.VersionVector, RoundKind, CancellationToken)"/>:
/// a pull when the peer has something this replica lacks, a push the other way). An exchange (pull, then push) and a
/// pull alone are separate <see cref="RoundKind"/>s, each due, queued and run on its own: the pull of an announced
/// change never waits for the exchange's push (queued at a busy hub behind other peers' pushes). Two rounds of the
/// same kind never overlap. Transient failures are retried by the
/// <see cref="Resilience"/> pipeline; others are recorded in <c>cluster_sync</c> and the round is tried again after
/// <see cref="AgentOptions.SyncIntervalMs"/>. A failure streak is logged when it starts or changes kind, its end once.
/// </summary>
internal sealed partial class PeerLink : IDisposable
{
    /// <summary>
    /// How stale <c>cluster_sync.last_sync_time</c> may grow (plus <see cref="AgentOptions.IdleSyncIntervalMs"/>)
    /// while a connected peer and this replica agree and nothing moves; an exchange that moves changes writes it at once.
    /// </summary>
    public static readonly TimeSpan IdleMarkInterval = TimeSpan.FromMinutes(5);

    private readonly PeerClient _client;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline[] _pipelines; // per RoundKind, so each kind's failure streak is its own
    private readonly Lock _gate = new();
    private VersionVector _peerVector = VersionVector.Empty;
    private VersionVector _recorded = VersionVector.Empty; // what was written to the database's peer table
    private const int Idle = 0, Due = 1, Running = 2, RunningAndDue = 3;
    private readonly int[] _states = new int[2]; // per RoundKind: rounds of one kind never overlap; one due while one runs waits for it
    private volatile bool _disposed;
    private readonly string?[] _failing = new string?[2]; // per RoundKind: kind of the failure streak being retried (null: the last round succeeded)
    private readonly int[] _failures = new int[2];
    private long _lastMarked;

    public PeerLink(HostedDatabase hosted, PeerChannel channel, ILogger logger, TimeProvider time)
    {
        Hosted = hosted;
        _client = new PeerClient(hosted, channel, logger);
        _logger = logger;
        _pipelines = [Pipeline(RoundKind.Exchange, time), Pipeline(RoundKind.Pull, time)];
    }

    private ResiliencePipeline Pipeline(RoundKind round, TimeProvider time) =>
        Resilience.Create(Hosted.Options, time, args =>
        {
            var e = args.Outcome.Exception!;
            string kind = SyncErrors.Kind(e);
            CountError(kind);
            Hosted.Metrics.Retry(Hosted.Board.TagsFor(PeerSite));
            if (NewFailure(round, kind))
            {
                Log.Retrying(_logger, Hosted.Name, Url, kind, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, e.Message);
            }
            else
            {
                Log.RetryingAgain(_logger, Hosted.Name, Url, kind, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, e.Message);
            }

            return ValueTask.CompletedTask;
        });

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

    /// <summary>What the peer last announced it disclaimed, passed to this link's pushes (<see cref="PeerClient.PeerDisclaimed"/>).</summary>
    public IReadOnlyList<EdgeSync.Protocol.OriginRange>? PeerDisclaimed
    {
        get => _client.PeerDisclaimed;
        set => _client.PeerDisclaimed = value;
    }

    /// <summary>
    /// The peer announced <paramref name="vector"/> for this database: remember it, record it (compaction waits for
    /// what peers hold; recorded only when it grew, so idle announcements write nothing; see <see cref="Record"/>), and
    /// update the gauges. Never waits for the database: it runs on the conversation's reading loop.
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
        }

        if (record)
        {
            Record(peerSite, vector, cancellationToken);
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
        bool recovering = _failing[(int)RoundKind.Pull] is not null || _failing[(int)RoundKind.Exchange] is not null;
        Recovered(RoundKind.Pull);
        Recovered(RoundKind.Exchange);
        if (_lastMarked == 0 || recovering || Stopwatch.GetElapsedTime(_lastMarked) >= IdleMarkInterval)
        {
            Hosted.Db.Status.MarkSynced(PeerSite, cancellationToken); // cluster_sync: last successful exchange
            _lastMarked = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>
    /// Marks a round of <paramref name="kind"/> due; true when the caller must queue it. False when one already is
    /// queued (it will carry the new changes) or running (it queues another when it ends).
    /// </summary>
    public bool TryMarkDue(RoundKind kind)
    {
        ref int slot = ref _states[(int)kind];
        while (!_disposed)
        {
            int state = Volatile.Read(ref slot);
            int next = state switch { Idle => Due, Running => RunningAndDue, _ => state };
            if (next == state)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref slot, next, state) == state)
            {
                return next == Due;
            }
        }

        return false;
    }

    /// <summary>Ends a round; true when another of its kind became due meanwhile (the caller queues it).</summary>
    private bool EndRound(RoundKind kind)
    {
        ref int slot = ref _states[(int)kind];
        if (Interlocked.CompareExchange(ref slot, Idle, Running) == Running)
        {
            return false;
        }

        Volatile.Write(ref slot, Due); // RunningAndDue
        return true;
    }

    /// <summary>
    /// Runs the due round of <paramref name="kind"/>. <paramref name="again"/> is called when it must be queued again:
    /// with false when one became due while this one ran, with true when this one failed (the caller waits before
    /// queueing it).
    /// </summary>
    public async Task RunRoundAsync(RoundKind kind, Action<PeerLink, RoundKind, bool> again, CancellationToken ct)
    {
        if (_disposed)
        {
            return; // dropped from its conversation (one side no longer hosts the database)
        }

        Interlocked.Exchange(ref _states[(int)kind], Running);
        bool ok = false;
        try
        {
            ok = await RoundAsync(kind, ct).ConfigureAwait(false);
        }
        finally
        {
            if (EndRound(kind))
            {
                again(this, kind, false);
            }
            else if (!ok && !ct.IsCancellationRequested && TryMarkDue(kind))
            {
                again(this, kind, true);
            }
        }
    }

    private async Task<bool> RoundAsync(RoundKind kind, CancellationToken ct)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            var (result, peerVector) = await _pipelines[(int)kind].ExecuteAsync(
                static async (state, token) => await state.Link._client.ExchangeAsync(
                    state.Link.PeerSite, state.Link.PeerRole, state.Link.PeerVector, state.Kind, token).ConfigureAwait(false),
                (Link: this, Kind: kind), ct).ConfigureAwait(false);
            lock (_gate)
            {
                _peerVector = _peerVector.Merge(peerVector);
            }

            Hosted.Metrics.Round("ok", Hosted.Board.TagsFor(PeerSite));
            Log.RoundCompleted(_logger, Hosted.Name, PeerSite, Url, result.Pulled, result.Pushed, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            Recovered(kind);
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
            string error = SyncErrors.Kind(e);
            CountError(error);
            Hosted.Metrics.Round("error", Hosted.Board.TagsFor(PeerSite));
            if (NewFailure(kind, error))
            {
                Log.RoundFailed(_logger, Hosted.Name, Url, error, e.Message);
            }
            else
            {
                Log.RoundFailedAgain(_logger, Hosted.Name, Url, error, e.Message);
            }

            RecordState($"error: {error}: {e.Message}", ct);
            return false;
        }
    }

    private void Recovered(RoundKind round)
    {
        int i = (int)round;
        if (_failing[i] is not null)
        {
            Log.Recovered(_logger, Hosted.Name, PeerSite, Url, _failures[i]);
            (_failing[i], _failures[i]) = (null, 0);
        }
    }

    /// <summary>Counts a failed attempt of a <paramref name="round"/>; true when it starts a failure streak or changes its kind (worth a log line).</summary>
    private bool NewFailure(RoundKind round, string kind)
    {
        int i = (int)round;
        _failures[i]++;
        if (kind == _failing[i])
        {
            return false;
        }

        _failing[i] = kind;
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
