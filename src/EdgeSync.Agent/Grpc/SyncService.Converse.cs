using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using EdgeSync.Agent.Protocol.V1;
using EdgeSync.Agent.Security;
using EdgeSync.Agent.Sync;
using EdgeSync.Clocks;
using Grpc.Core;

namespace EdgeSync.Agent.Grpc;

/// <summary>
/// The server side of a peer conversation: learns the caller's vector of every database it hosts (recorded for
/// compaction and the gauges, as a handshake did), answers with this agent's hello and every database's vector,
/// then announces the databases whose vector moves, and the full list again whenever the hosted databases change and
/// periodically (every <see cref="AgentOptions.SyncIntervalMs"/> after a change, doubling up to
/// <see cref="AgentOptions.IdleSyncIntervalMs"/> while nothing moves). One call per peer, whatever
/// the number of databases.
/// </summary>
internal sealed partial class SyncService
{
    public override async Task Converse(
        IAsyncStreamReader<ConversationMessage> requestStream, IServerStreamWriter<ConversationMessage> responseStream, ServerCallContext context)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var ct = cts.Token;
        string peer = context.RequestHeaders.GetValue(Wire.SiteHeader) ?? "";
        var caller = new CallerVectors(context, peer);
        try
        {
            _ = int.TryParse(context.RequestHeaders.GetValue(Wire.ProtocolHeader), out int protocol);
            DatabaseRegistry.CheckProtocol(protocol);
            PeerIdentityResolver.Resolve(context, peer);
            if (!await requestStream.MoveNext(ct).ConfigureAwait(false))
            {
                return;
            }

            var hello = requestStream.Current.Hello
                ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "a conversation starts with the caller's hello"));
            DatabaseRegistry.CheckProtocol(hello.ProtocolVersion);
            caller.Observe(registry, requestStream.Current, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException && !ct.IsCancellationRequested)
        {
            throw Fail("Converse", peer, e);
        }

        using var feed = registry.Feed.Subscribe();
        var options = registry.All is [var first, ..] ? first.Options : new AgentOptions();
        // The full list comes every SyncIntervalMs after a change, stretching (doubling) to IdleSyncIntervalMs while
        // nothing moves: it is the periodic round of every database (the caller compares and runs those that differ).
        var active = TimeSpan.FromMilliseconds(options.SyncIntervalMs);
        var idle = TimeSpan.FromMilliseconds(Math.Max(options.SyncIntervalMs, options.IdleSyncIntervalMs));
        var refresh = active;
        var reading = ReadCallerAsync(requestStream, caller, reports, ct);
        try
        {
            await responseStream.WriteAsync(ConversationMessages.Full(registry.All, ConversationMessages.Hello(registry, options)), ct).ConfigureAwait(false);
            long lastFull = System.Diagnostics.Stopwatch.GetTimestamp();
            bool moved = false;
            while (!ct.IsCancellationRequested)
            {
                var waiting = feed.WaitAsync(lastFull, refresh, ct);
                if (await Task.WhenAny(waiting, reading).ConfigureAwait(false) == reading)
                {
                    break; // the caller ended the conversation (or broke it)
                }

                var (changed, membership) = await waiting.ConfigureAwait(false);
                if (membership || System.Diagnostics.Stopwatch.GetElapsedTime(lastFull) >= refresh)
                {
                    await responseStream.WriteAsync(ConversationMessages.Full(registry.All), ct).ConfigureAwait(false);
                    caller.Touch(); // a caller whose conversation stays open is present, however quiet
                    lastFull = System.Diagnostics.Stopwatch.GetTimestamp();
                    refresh = moved || changed.Count > 0 ? active : TimeSpan.FromTicks(Math.Min(refresh.Ticks * 2, idle.Ticks));
                    moved = false;
                }
                else if (ConversationMessages.Changes(changed) is { } message)
                {
                    await responseStream.WriteAsync(message, ct).ConfigureAwait(false);
                    moved = true;
                }
            }
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            // Caller gone or agent stopping: the conversation simply ends.
        }
        finally
        {
            await cts.CancelAsync().ConfigureAwait(false);
            reports.End(caller); // what it reported ends with the conversation
            try
            {
                await reading.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException or RpcException)
            {
                // The caller's half ended with the call.
            }
        }

        if (reading.IsFaulted && reading.Exception?.InnerException is RpcException { StatusCode: StatusCode.PermissionDenied } denied)
        {
            throw Fail("Converse", peer, denied);
        }
    }

    private static async Task ReadCallerAsync(IAsyncStreamReader<ConversationMessage> requestStream, CallerVectors caller, Console.ReplicaReports reports, CancellationToken ct)
    {
        while (await requestStream.MoveNext(ct).ConfigureAwait(false))
        {
            var message = requestStream.Current;
            caller.Observe(null, message, ct);
            if (message.Report is { } report && caller.Vouches(report.SiteId))
            {
                reports.Put(report, caller);
            }
        }
    }

    /// <summary>What one caller announced: recorded per database when it grew, so idle announcements write nothing.</summary>
    /// <remarks><see cref="Touch"/> marks every (database, site) it announced as seen now, for <see cref="PeerForgetting"/>: a
    /// caller whose conversation stays open is present, however quiet. A vector that meets a busy database is queued by
    /// it (<see cref="SyncDatabase.QueuePeerVector"/>) and written when it is free.</remarks>
    private sealed class CallerVectors(ServerCallContext context, string headerSite)
    {
        private readonly Dictionary<string, VersionVector> _recorded = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (HostedDatabase Hosted, string Site)> _seen = new(StringComparer.Ordinal);
        private readonly HashSet<string> _vouched = new(StringComparer.Ordinal) { headerSite };
        private DatabaseRegistry? _registry;

        /// <summary>True when the caller may speak for <paramref name="site"/> (with mutual TLS: its certificate's sites only).</summary>
        public bool Vouches(string site)
        {
            if (site.Length == 0)
            {
                return false;
            }

            if (_vouched.Add(site))
            {
                PeerIdentityResolver.Resolve(context, site); // throws PermissionDenied for a site not its own
            }

            return true;
        }

        public void Touch()
        {
            List<(HostedDatabase Hosted, string Site)> seen;
            lock (_seen)
            {
                seen = [.. _seen.Values];
            }

            foreach (var (hosted, site) in seen)
            {
                hosted.Board.Touch(site);
            }
        }

        /// <summary>Records <paramref name="vector"/> unless it raises nothing this call has not recorded already (queued while the database is busy).</summary>
        private void Record(HostedDatabase hosted, string site, string key, VersionVector vector)
        {
            lock (_seen)
            {
                if (_recorded.TryGetValue(key, out var done) && done.Dominates(vector))
                {
                    return;
                }
            }

            try
            {
                hosted.Db.QueuePeerVector(site, vector); // never waits for the writer
            }
            catch (Exception e) when (e is ObjectDisposedException or EdgeSync.Errors.EdgeSyncException or Microsoft.Data.Sqlite.SqliteException)
            {
                return; // closed meanwhile, or a reincarnation that failed: the caller's next announcement records it
            }

            lock (_seen)
            {
                _recorded[key] = _recorded.TryGetValue(key, out var done) ? done.Merge(vector) : vector;
            }
        }

        public void Observe(DatabaseRegistry? registry, ConversationMessage message, CancellationToken cancellationToken)
        {
            _registry ??= registry;
            foreach (var entry in message.Databases)
            {
                if (entry.Database.Length == 0 || _registry?.Find(entry.Database) is not { } hosted)
                {
                    continue;
                }

                string site = entry.SiteId.Length > 0 ? entry.SiteId : headerSite;
                if (site.Length == 0 || site == hosted.Site)
                {
                    continue;
                }

                if (_vouched.Add(site))
                {
                    PeerIdentityResolver.Resolve(context, site); // with mutual TLS, every site the caller speaks for must be its certificate's
                }

                var vector = Wire.ToVector(entry.Vector);
                hosted.Board.Observe(site, vector, success: false); // first: the console knows the peer even while the record below waits for the write lock
                try
                {
                    if (entry.Exported.Count > 0)
                    {
                        hosted.Db.RecordExportedVector(Wire.ToVector(entry.Exported));
                    }
                }
                catch (Exception e) when (e is ObjectDisposedException or EdgeSync.Errors.EdgeSyncException or Microsoft.Data.Sqlite.SqliteException)
                {
                    // Closed meanwhile, or a busy bookkeeping write: the caller's next announcement records it.
                }

                string key = hosted.Name + "\n" + site;
                lock (_seen)
                {
                    _seen[key] = (hosted, site);
                }

                Record(hosted, site, key, vector);
            }
        }
    }
}
