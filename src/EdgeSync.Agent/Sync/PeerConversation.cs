using System.Threading.Channels;
using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using EdgeSync.Agent.Protocol.V1;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Sync;

/// <summary>
/// Everything this agent says to one peer URL, whatever the number of databases: one <c>Converse</c> call carries
/// every hosted database's vector both ways (the peer's announcements say which of its databases moved, and a full list
/// comes every <see cref="AgentOptions.SyncIntervalMs"/> after a change, stretching to
/// <see cref="AgentOptions.IdleSyncIntervalMs"/> while nothing moves), and rounds (<see cref="PeerLink"/>) run only
/// for databases whose vectors differ: an exchange (a pull, then a push) after a local change the peer lacks or a full
/// list that shows a difference, and a pull alone, at once, after an announcement of changes this replica lacks — from
/// a hub, only of the hub's own writes; what a hub relays from other sites rides the exchange (see <see cref="Observe"/>).
/// A pull alone does not wait for the link's exchange, whose push may be queued at a busy hub. At most
/// <see cref="AgentOptions.MaxRoundsPerPeer"/> rounds run at once, so this agent holds at most that many calls plus
/// the conversation open on the peer, whatever the number of databases. A cut conversation is reopened with backoff
/// (<see cref="AgentOptions.RetryBaseDelayMs"/> to <see cref="AgentOptions.RetryMaxDelayMs"/>); its first messages
/// compare every database again, so nothing announced meanwhile is missed.
/// </summary>
internal sealed class PeerConversation : IAsyncDisposable
{
    /// <summary>How often a caller sends a hub its report of its cluster at most (only when it changed).</summary>
    public static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(2);

    private readonly DatabaseRegistry _registry;
    private readonly Func<ReplicaReport>? _report;
    private readonly AgentOptions _options;
    private readonly PeerChannel _channel;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _cts = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<HostedDatabase, PeerLink> _links = [];
    private readonly Channel<(PeerLink Link, RoundKind Kind)> _due = Channel.CreateUnbounded<(PeerLink, RoundKind)>(new UnboundedChannelOptions { SingleWriter = false });
    private Dictionary<string, DatabaseVector> _peerDatabases = new(StringComparer.Ordinal); // the peer's last full list, updated by announcements
    private Task _run = Task.CompletedTask;
    private Task[] _workers = [];
    private string? _failing;
    private int _disposed;

    public PeerConversation(
        DatabaseRegistry registry, AgentOptions options, string url, Security.FleetTls? tls, ILogger logger, TimeProvider time,
        Func<ReplicaReport>? report = null)
    {
        _report = report;
        _registry = registry;
        _options = options;
        _channel = new PeerChannel(url, options, tls);
        _logger = logger;
        _time = time;
    }

    public string Url => _channel.Url;

    /// <summary>The peer's site, once its hello told it.</summary>
    public string? PeerSite { get; private set; }

    /// <summary>True while the conversation is open.</summary>
    public bool IsLive { get; private set; }

    /// <summary>The kind of failure the conversation is retrying after (null once it is open again).</summary>
    public string? Failing => _failing;

    /// <summary>Databases both sides host, as of the last message.</summary>
    public int SharedDatabases
    {
        get
        {
            lock (_gate)
            {
                return _links.Count;
            }
        }
    }

    public void Start()
    {
        var ct = _cts.Token;
        _workers = Enumerable.Range(0, Math.Clamp(_options.MaxRoundsPerPeer, 1, Math.Max(1, _options.MaxStreamsPerPeer - 1))).Select(_ => Task.Run(() => WorkAsync(ct), ct)).ToArray();
        _run = Task.Run(() => RunAsync(ct), ct);
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var baseDelay = TimeSpan.FromMilliseconds(_options.RetryBaseDelayMs);
        var maxDelay = TimeSpan.FromMilliseconds(_options.RetryMaxDelayMs);
        var delay = baseDelay;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                bool self = await ConverseAsync(ct).ConfigureAwait(false);
                if (self)
                {
                    return;
                }

                delay = baseDelay; // it was open and ended (peer restarting): reopen after a short pause
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                string kind = SyncErrors.Kind(e);
                _registry.Metrics.Error(kind, "client");
                if (SyncErrors.IsTransient(e))
                {
                    _registry.Metrics.Retry([new("site", ConversationMessages.SiteOf(_registry, _options)), new("peer", PeerSite ?? Url)]);
                }

                if (kind != _failing)
                {
                    _failing = kind;
                    Log.ConversationFailed(_logger, Url, kind, e.Message);
                }
                else
                {
                    Log.ConversationFailedAgain(_logger, Url, kind, e.Message);
                }

                delay = SyncErrors.IsTransient(e) ? delay : maxDelay;
            }
            finally
            {
                IsLive = false;
            }

            try
            {
                await Task.Delay(Jitter(delay), _time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, maxDelay.Ticks));
        }
    }

    private static TimeSpan Jitter(TimeSpan delay) => delay * (0.75 + (Random.Shared.NextDouble() / 2));

    /// <summary>One conversation, until it ends or fails; true when the peer turned out to be this agent.</summary>
    private async Task<bool> ConverseAsync(CancellationToken stop)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var ct = cts.Token;
        string site = ConversationMessages.SiteOf(_registry, _options);
        var headers = new Metadata
        {
            { Wire.SiteHeader, site },
            { Wire.RoleHeader, _options.EffectiveRole.ToString() },
            { Wire.ProtocolHeader, _options.ProtocolVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        using var call = _channel.Client.Converse(headers, cancellationToken: ct);
        using var feed = _registry.Feed.Subscribe(); // before the first list, so no change falls between the two
        await call.RequestStream.WriteAsync(ConversationMessages.Full(_registry.All, ConversationMessages.Hello(_registry, _options)), ct).ConfigureAwait(false);

        var first = await FirstAsync(call, ct).ConfigureAwait(false);
        var hello = first.Hello ?? throw new RpcException(new Status(StatusCode.Internal, $"{Url} opened the conversation without a hello"));
        if (hello.ProtocolVersion < Wire.PreviousProtocolVersion)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"peer speaks protocol {hello.ProtocolVersion}, this agent {Wire.PreviousProtocolVersion} to {Wire.ProtocolVersion}; upgrade that agent"));
        }

        _channel.PeerProtocol = Wire.Negotiate(_options.ProtocolVersion, hello.ProtocolVersion);

        if (hello.SiteId.Length > 0 && (hello.SiteId == site || _registry.All.Any(d => d.Site == hello.SiteId)))
        {
            // A headless Service lists this pod too: end the conversation for good.
            Log.PeerIsSelf(_logger, Url, hello.SiteId);
            return true;
        }

        _channel.CheckServerIdentity(hello.SiteId);
        PeerSite = hello.SiteId;
        var peerRole = Wire.FromWire(hello.Role);
        lock (_gate)
        {
            foreach (var link in _links.Values)
            {
                link.ResetRecorded();
            }
        }

        OnPeerMessage(first, hello.SiteId, peerRole, ct);
        IsLive = true;
        _failing = null;
        Log.ConversationOpened(_logger, hello.SiteId, Url, SharedDatabases);

        var reading = ReadAsync(call.ResponseStream, hello.SiteId, peerRole, ct);
        var writing = WriteAsync(call.RequestStream, feed, hello.SiteId, peerRole, ct);
        var ended = await Task.WhenAny(reading, writing).ConfigureAwait(false);
        await cts.CancelAsync().ConfigureAwait(false); // one half ended: end the other
        try
        {
            await Task.WhenAll(reading, writing).ConfigureAwait(false);
        }
        catch (Exception) when (!stop.IsCancellationRequested)
        {
            if (ended.IsFaulted && ended.Exception!.InnerException is not OperationCanceledException)
            {
                await ended.ConfigureAwait(false); // the failure that ended the conversation
            }
        }

        return false;
    }

    private async Task<ConversationMessage> FirstAsync(AsyncDuplexStreamingCall<ConversationMessage, ConversationMessage> call, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_channel.CallTimeout);
        try
        {
            if (!await call.ResponseStream.MoveNext(timeout.Token).ConfigureAwait(false))
            {
                throw new RpcException(call.GetStatus());
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"{Url} did not answer the conversation's hello within {_channel.CallTimeout.TotalMilliseconds:0} ms"));
        }

        return call.ResponseStream.Current;
    }

    private async Task ReadAsync(IAsyncStreamReader<ConversationMessage> stream, string peerSite, AgentRole peerRole, CancellationToken ct)
    {
        while (await stream.MoveNext(ct).ConfigureAwait(false))
        {
            OnPeerMessage(stream.Current, peerSite, peerRole, ct);
        }
    }

    /// <summary>
    /// Announces this agent's changes to the peer, and starts a round for each changed database the peer lacks; to a hub,
    /// also sends this agent's report of its cluster whenever it changed (checked every <see cref="ReportInterval"/>).
    /// </summary>
    private async Task WriteAsync(IClientStreamWriter<ConversationMessage> stream, ChangeFeed.Subscription feed, string peerSite, AgentRole peerRole, CancellationToken ct)
    {
        bool reporting = _report is not null && peerRole == AgentRole.Hub;
        ReplicaReport? sent = null;
        long reportedAt = 0;
        while (!ct.IsCancellationRequested)
        {
            if (reporting && (reportedAt == 0 || System.Diagnostics.Stopwatch.GetElapsedTime(reportedAt) >= ReportInterval))
            {
                reportedAt = System.Diagnostics.Stopwatch.GetTimestamp();
                var report = _report!();
                if (!report.Equals(sent))
                {
                    await stream.WriteAsync(new ConversationMessage { Report = report }, ct).ConfigureAwait(false);
                    sent = report;
                }
            }

            var (changed, membership) = await (reporting ? feed.WaitAsync(reportedAt, ReportInterval, ct) : feed.WaitAsync(ct)).ConfigureAwait(false);
            if (membership)
            {
                await stream.WriteAsync(ConversationMessages.Full(_registry.All), ct).ConfigureAwait(false);
                Relink(peerSite, peerRole, observed: false, ct);
                continue;
            }

            if (ConversationMessages.Changes(changed) is { } message)
            {
                await stream.WriteAsync(message, ct).ConfigureAwait(false);
            }

            foreach (var db in changed)
            {
                if (LinkOf(db) is { } link && db.TryVector() is { } local && !link.PeerVector.Dominates(local))
                {
                    Schedule(link, RoundKind.Exchange);
                }
            }
        }
    }

    private PeerLink? LinkOf(HostedDatabase db)
    {
        lock (_gate)
        {
            return _links.GetValueOrDefault(db);
        }
    }

    private void OnPeerMessage(ConversationMessage message, string peerSite, AgentRole peerRole, CancellationToken ct)
    {
        lock (_gate)
        {
            if (message.Full)
            {
                _peerDatabases = new Dictionary<string, DatabaseVector>(StringComparer.Ordinal);
            }

            foreach (var entry in message.Databases)
            {
                _peerDatabases[entry.Database] = entry;
            }
        }

        foreach (var entry in message.Databases)
        {
            if (entry.Database.Length > 0 && _registry.Find(entry.Database) is { } local)
            {
                Observe(local, entry, peerSite, peerRole, full: message.Full, ct);
            }
        }

        if (message.Full)
        {
            Relink(peerSite, peerRole, observed: true, ct);
        }
    }

    /// <summary>Takes the peer's vector for one database; starts a round when it holds something this replica lacks (or, in a full list, when anything differs).</summary>
    private void Observe(HostedDatabase local, DatabaseVector entry, string peerSite, AgentRole peerRole, bool full, CancellationToken ct)
    {
        string site = entry.SiteId.Length > 0 ? entry.SiteId : peerSite;
        if (site == local.Site || local.TryVector() is not { } localVector)
        {
            return; // this very replica (a headless Service listing this pod), or closed meanwhile
        }

        if (site != peerSite)
        {
            _channel.CheckServerIdentity(site);
        }

        var link = LinkFor(local);
        var vector = Wire.ToVector(entry.Vector);
        try
        {
            if (entry.Exported.Count > 0)
            {
                local.Db.RecordExportedVector(Wire.ToVector(entry.Exported));
            }

            link.Observe(site, peerRole, vector, ct);
            link.PeerDisclaimed = Wire.FromWire(entry.Disclaimed);

            // A hub's vector moves at every push it applies; were each factory to pull at each of them, a fleet's worth
            // of pulls would starve the hub's applies (the 151-agent demo stopped converging). So from a hub only its own
            // writes (a configuration change) are pulled at once; its relays of other sites' changes ride the exchange.
            bool lacks = !localVector.Dominates(vector), peerLacks = full && !vector.Dominates(localVector);
            bool pullNow = lacks && (peerRole != AgentRole.Hub || vector[site] > localVector[site]);
            if (pullNow)
            {
                Schedule(link, RoundKind.Pull);
            }

            if ((lacks && !pullNow) || peerLacks)
            {
                Schedule(link, RoundKind.Exchange);
            }

            if (full && !lacks && !peerLacks)
            {
                link.Confirmed(ct);
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or EdgeSync.Errors.EdgeSyncException or Microsoft.Data.Sqlite.SqliteException)
        {
            // The database closed meanwhile, or its bookkeeping write failed (busy): the next full list tries again.
            Log.RoundFailedAgain(_logger, local.Name, Url, SyncErrors.Kind(e), e.Message);
        }
    }

    private PeerLink LinkFor(HostedDatabase local)
    {
        lock (_gate)
        {
            if (!_links.TryGetValue(local, out var link))
            {
                _links[local] = link = new PeerLink(local, _channel, _logger, _time);
            }

            return link;
        }
    }

    /// <summary>
    /// Keeps one link per database both sides host: drops those one side no longer hosts, and (unless the caller just
    /// observed the peer's full list) adds those a new local database shares with the peer.
    /// </summary>
    private void Relink(string peerSite, AgentRole peerRole, bool observed, CancellationToken ct)
    {
        var hosted = _registry.All;
        List<PeerLink> gone;
        List<(HostedDatabase Db, DatabaseVector Entry)> added = [];
        lock (_gate)
        {
            gone = _links.Where(l => !_peerDatabases.ContainsKey(l.Key.Name) || !hosted.Contains(l.Key)).Select(l => l.Value).ToList();
            foreach (var link in gone)
            {
                _links.Remove(link.Hosted);
            }

            if (!observed)
            {
                foreach (var db in hosted)
                {
                    if (!_links.ContainsKey(db) && _peerDatabases.TryGetValue(db.Name, out var entry))
                    {
                        added.Add((db, entry));
                    }
                }
            }
        }

        foreach (var link in gone)
        {
            link.Dispose();
        }

        foreach (var (db, entry) in added)
        {
            Observe(db, entry, peerSite, peerRole, full: true, ct);
        }
    }

    private void Schedule(PeerLink link, RoundKind kind)
    {
        if (link.TryMarkDue(kind))
        {
            _due.Writer.TryWrite((link, kind));
        }
    }

    private async Task WorkAsync(CancellationToken ct)
    {
        var retry = TimeSpan.FromMilliseconds(_options.SyncIntervalMs);
        try
        {
            await foreach (var (link, kind) in _due.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                await link.RunRoundAsync(kind, (l, k, failed) =>
                {
                    if (failed)
                    {
                        _ = QueueLaterAsync(l, k, retry, ct); // a failed round is tried again after SyncIntervalMs
                    }
                    else
                    {
                        _due.Writer.TryWrite((l, k));
                    }
                }, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task QueueLaterAsync(PeerLink link, RoundKind kind, TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, _time, ct).ConfigureAwait(false);
            _due.Writer.TryWrite((link, kind));
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _cts.CancelAsync().ConfigureAwait(false);
        _due.Writer.TryComplete();
        try
        {
            await Task.WhenAll([_run, .. _workers]).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected on cancellation.
        }

        lock (_gate)
        {
            foreach (var link in _links.Values)
            {
                link.Dispose();
            }

            _links.Clear();
        }

        _channel.Dispose();
        _cts.Dispose();
    }
}
