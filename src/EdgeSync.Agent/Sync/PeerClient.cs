using System.Diagnostics;
using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using EdgeSync.Agent.Protocol.V1;
using EdgeSync.Agent.Security;
using EdgeSync.Clocks;
using EdgeSync.Protocol;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeSync.Agent.Sync;

/// <summary>
/// The client side of the protocol for one database and one peer URL: a round is a handshake (or, in an agent, the
/// peer's vector from its conversation, <see cref="PeerConversation"/>, which also runs pulls alone), a pull (each batch
/// applied as it arrives, so a cut stream loses at most the batch in flight) and a push; either stream is skipped
/// when the vectors say there is nothing to send. A push the peer refuses under an authorization rule
/// (<c>PERMISSION_DENIED</c>) is recorded in the database (<see cref="Storage.SyncStatusView.RecordRejection"/>, shown by
/// <c>edgesync status</c>) and not tried again before an exponential backoff has passed, while pulls go on; local data
/// is kept as it is. The record is cleared once the peer holds everything this replica would push.
/// </summary>
internal sealed class PeerClient : IDisposable
{
    private readonly HostedDatabase _hosted;
    private readonly PeerChannel _channel;
    private readonly bool _ownsChannel;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _pulling = new(1, 1); // an exchange and a pull alone never pull at once: the second would fetch what the first is applying
    private long _lastMarked;
    private TimeSpan _pushBackoff;
    private long _pushBlockedUntil;
    private bool? _rejected; // null: not known whether the database holds a refusal by this peer

    /// <summary>
    /// A client for <paramref name="url"/> with a channel of its own. With <paramref name="tls"/>, connections present
    /// this site's certificate and accept only a server certificate from the fleet CA whose identity covers the site
    /// the handshake names.
    /// </summary>
    public PeerClient(HostedDatabase hosted, string url, Security.FleetTls? tls = null, ILogger? logger = null)
        : this(hosted, new PeerChannel(url, hosted.Options, tls), logger, ownsChannel: true)
    {
    }

    /// <summary>A client of one database over a channel shared with the other databases' clients (not disposed with it).</summary>
    public PeerClient(HostedDatabase hosted, PeerChannel channel, ILogger? logger = null)
        : this(hosted, channel, logger, ownsChannel: false)
    {
    }

    private PeerClient(HostedDatabase hosted, PeerChannel channel, ILogger? logger, bool ownsChannel)
    {
        _hosted = hosted;
        _channel = channel;
        _ownsChannel = ownsChannel;
        _logger = logger ?? NullLogger.Instance;
    }

    public string Url => _channel.Url;

    /// <summary>Called after each batch pulled or pushed with ("pull"|"push", rows so far in that direction).</summary>
    public Action<string, long>? Progress { get; init; }

    /// <summary>Why this client last refused the server's certificate (reason: detail), or null.</summary>
    public string? TlsRefusal => _channel.TlsRefusal;

    /// <summary>What the peer last announced it disclaimed (handshake or conversation), passed to the push's extraction
    /// (<see cref="Outbound"/>); null when it announced nothing.</summary>
    public IReadOnlyList<OriginRange>? PeerDisclaimed
    {
        get => Volatile.Read(ref _peerDisclaimed);
        set => Volatile.Write(ref _peerDisclaimed, value);
    }

    private IReadOnlyList<OriginRange>? _peerDisclaimed;

    /// <summary>The peer's site id, once a handshake told it.</summary>
    public string? PeerSite { get; private set; }

    public async Task<RoundResult> RunRoundAsync(CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        var local = _hosted.Db.Vector;
        var hello = new HandshakeRequest
        {
            SiteId = _hosted.Site,
            ClusterId = _hosted.Options.ClusterId ?? "",
            ProtocolVersion = _hosted.Options.ProtocolVersion,
            Role = Wire.ToWire(_hosted.Role),
            Database = _hosted.Name,
        };
        Wire.CopyTo(local, hello.Vector);
        var reply = await _channel.Client.HandshakeAsync(hello, deadline: Deadline(_channel.CallTimeout), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (reply.ProtocolVersion < Wire.PreviousProtocolVersion)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"peer speaks protocol {reply.ProtocolVersion}, this agent {Wire.PreviousProtocolVersion} to {Wire.ProtocolVersion}; upgrade that agent"));
        }

        _channel.PeerProtocol = Wire.Negotiate(_hosted.Options.ProtocolVersion, reply.ProtocolVersion);

        if (reply.SiteId == _hosted.Site)
        {
            return RoundResult.Self(reply.SiteId);
        }

        string peer = reply.SiteId;
        _channel.CheckServerIdentity(peer);
        PeerSite = peer;
        var peerVector = Wire.ToVector(reply.Vector);
        PeerDisclaimed = Wire.FromWire(reply.Disclaimed);
        _hosted.Db.QueuePeerVector(peer, peerVector, cancellationToken);
        var (result, _) = await ExchangeAsync(peer, Wire.FromWire(reply.Role), peerVector, start, pull: true, push: true, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// A round without a handshake, when the peer's vector is known from elsewhere (the conversation): pulls when
    /// <paramref name="peerVector"/> holds something this replica lacks and, in a <see cref="RoundKind.Exchange"/>
    /// (not a <see cref="RoundKind.Pull"/>), then pushes when it lacks something this replica has. Returns what moved
    /// and what the peer is known to hold afterwards.
    /// </summary>
    public Task<(RoundResult Result, VersionVector PeerVector)> ExchangeAsync(
        string peer, AgentRole peerRole, VersionVector peerVector, RoundKind kind, CancellationToken cancellationToken)
    {
        PeerSite = peer;
        return ExchangeAsync(peer, peerRole, peerVector, Stopwatch.GetTimestamp(), pull: true, push: kind == RoundKind.Exchange, cancellationToken);
    }

    private async Task<(RoundResult Result, VersionVector PeerVector)> ExchangeAsync(
        string peer, AgentRole peerRole, VersionVector peerVector, long start, bool pull, bool push, CancellationToken cancellationToken)
    {
        var local = _hosted.Db.Vector;
        var tags = _hosted.Board.TagsFor(peer);
        _hosted.Board.Observe(peer, peerVector, success: false);

        long pulled = 0;
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? pullFailed = null;
        if (pull && !local.Dominates(peerVector))
        {
            await _pulling.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!_hosted.Db.Vector.Dominates(peerVector)) // another round's pull may have brought it meanwhile
                {
                    (pulled, peerVector) = await PullAsync(peer, peerRole, peerVector, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // What the peer sent was refused here (e.g. stamped ahead of this replica's clock, which runs behind):
                // that must not hold back this replica's own changes, which the peer may well accept. Push, then fail
                // the round with the pull's error.
                pullFailed = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                _pulling.Release();
            }
        }

        long pushed = 0;
        bool pushBlocked = Stopwatch.GetTimestamp() < Interlocked.Read(ref _pushBlockedUntil);
        if (push && !pushBlocked && !peerVector.Dominates(_hosted.Db.Vector))
        {
            try
            {
                (pushed, peerVector) = await PushAsync(peer, peerRole, peerVector, tags, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (pullFailed is not null && !cancellationToken.IsCancellationRequested)
            {
                pullFailed.Throw(); // the first failure is the round's (an unreachable peer fails both)
            }
        }

        pullFailed?.Throw();

        if (push && !pushBlocked)
        {
            ClearRejection(peer, cancellationToken);
        }

        _hosted.Board.Observe(peer, peerVector, success: true);
        if (pulled + pushed > 0 || Stopwatch.GetElapsedTime(_lastMarked) >= TimeSpan.FromSeconds(1))
        {
            _hosted.Db.Status.MarkSynced(peer, cancellationToken); // cluster_sync: last successful exchange, at most once a second when idle
            _lastMarked = Stopwatch.GetTimestamp();
        }

        _hosted.Metrics.RoundDuration(Stopwatch.GetElapsedTime(start).TotalSeconds, tags);
        return (new RoundResult(peer, pulled, pushed, IsSelf: false), peerVector);
    }

    private async Task<(long Rows, VersionVector PeerVector)> PullAsync(string peer, AgentRole peerRole, VersionVector peerVector, CancellationToken cancellationToken)
    {
        var request = new PullRequest { SiteId = _hosted.Site, Role = Wire.ToWire(_hosted.Role), Database = _hosted.Name };
        var local = _hosted.Db.Vector;
        Wire.CopyTo(local, request.Vector);
        request.Disclaimed.AddRange(Wire.ToWire(_hosted.Db.Disclaimed));
        var reclaim = peerRole == AgentRole.Hub && _hosted.Role == AgentRole.Factory
            ? RetiredOrigins.ToReclaim(_hosted.Site, local, peerVector, RetiredOrigins.Current(_hosted.Board.Snapshot()))
            : null;
        if (reclaim is { Count: > 0 })
        {
            request.Reclaim.AddRange(reclaim);
        }

        var headers = new Metadata { { Wire.ProtocolHeader, _hosted.Options.ProtocolVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
        using var call = _channel.Client.Pull(request, headers, deadline: Deadline(_channel.StreamTimeout), cancellationToken: cancellationToken);
        var inbound = new Inbound(_hosted.Endpoint, peer, peerRole, HubAuthorization.CheckFor(_hosted, PeerIdentity.Claimed(peer), _logger), peerVector, reclaim);
        await foreach (var message in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            inbound.Receive(message.Payload.Span, cancellationToken); // a hub pulling from a factory authorizes what it pulls
            Progress?.Invoke("pull", inbound.Rows);
        }

        return (inbound.Rows, inbound.PeerVector);
    }

    private async Task<(long Rows, VersionVector PeerVector)> PushAsync(
        string peer, AgentRole peerRole, VersionVector peerVector, KeyValuePair<string, object?>[] tags, CancellationToken cancellationToken)
    {
        var headers = new Metadata
        {
            { Wire.SiteHeader, _hosted.Site },
            { Wire.RoleHeader, _hosted.Role.ToString() },
            { Wire.DatabaseHeader, _hosted.Name },
            { Wire.ProtocolHeader, _hosted.Options.ProtocolVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        using var call = _channel.Client.Push(headers, deadline: Deadline(_channel.StreamTimeout), cancellationToken: cancellationToken);
        try
        {
            return await PushBatchesAsync(call, peer, peerRole, peerVector, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && Denied(call, e) is { } denied)
        {
            OnRejected(peer, denied, tags, cancellationToken);
            throw denied;
        }
    }

    private async Task<(long Rows, VersionVector PeerVector)> PushBatchesAsync(AsyncClientStreamingCall<BatchMessage, PushReply> call,
        string peer, AgentRole peerRole, VersionVector peerVector, CancellationToken cancellationToken)
    {
        var outbound = new Outbound(_hosted.Endpoint, peer, peerRole, _channel.PeerProtocol, peerDisclaimed: PeerDisclaimed);
        long rows = await outbound.SendAsync(peerVector, async (batch, token) =>
        {
            await call.RequestStream.WriteAsync(Wire.ToMessage(batch), token).ConfigureAwait(false);
            Progress?.Invoke("push", outbound.Rows + batch.Rows);
        }, cancellationToken).ConfigureAwait(false);

        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        var reply = await call.ResponseAsync.ConfigureAwait(false);
        var acknowledged = Wire.ToVector(reply.Vector);
        _hosted.Db.QueuePeerVector(peer, acknowledged, cancellationToken);
        return (rows, peerVector.Merge(acknowledged));
    }

    /// <summary>The peer's refusal under an authorization rule, whichever way the failed call surfaced it; else null.</summary>
    private static RpcException? Denied(AsyncClientStreamingCall<BatchMessage, PushReply> call, Exception e)
    {
        if (e is RpcException { StatusCode: StatusCode.PermissionDenied } r)
        {
            return r;
        }

        try
        {
            // A write into a call the server already ended fails without its status; the status is on the call.
            var status = call.GetStatus();
            return status.StatusCode == StatusCode.PermissionDenied ? new RpcException(status, call.GetTrailers()) : null;
        }
        catch (InvalidOperationException)
        {
            return null; // the call has not ended: not a refusal
        }
    }

    private void OnRejected(string peer, RpcException denied, KeyValuePair<string, object?>[] tags, CancellationToken cancellationToken)
    {
        var options = _hosted.Options;
        var first = TimeSpan.FromMilliseconds(options.RetryBaseDelayMs);
        var max = TimeSpan.FromMilliseconds(options.RetryMaxDelayMs);
        _pushBackoff = _pushBackoff == TimeSpan.Zero ? first : TimeSpan.FromTicks(Math.Min(max.Ticks, _pushBackoff.Ticks * 2));
        Interlocked.Exchange(ref _pushBlockedUntil, Stopwatch.GetTimestamp() + (long)(_pushBackoff.TotalSeconds * Stopwatch.Frequency));
        string rule = denied.Trailers.GetValue(UnauthorizedBatchException.RuleTrailer) ?? "permission-denied";
        _hosted.Metrics.PushRejected(rule, tags);
        Log.PushRejected(_logger, _hosted.Name, peer, rule, _pushBackoff.TotalMilliseconds, denied.Status.Detail);
        try
        {
            _hosted.Db.Status.RecordRejection(peer, rule, denied.Status.Detail, cancellationToken);
            _rejected = true;
        }
        catch (Exception e) when (e is ObjectDisposedException or EdgeSync.Errors.EdgeSyncException or Microsoft.Data.Sqlite.SqliteException)
        {
            // Best effort: the refusal is still logged and counted, and the round fails with it.
        }
    }

    /// <summary>After the peer took (or already held) everything this replica pushes: forget an earlier refusal.</summary>
    private void ClearRejection(string peer, CancellationToken cancellationToken)
    {
        _pushBackoff = TimeSpan.Zero;
        if (_rejected == false)
        {
            return;
        }

        _rejected ??= _hosted.Db.Status.GetRejections().Any(r => r.Peer == peer);
        if (_rejected == true)
        {
            _hosted.Db.Status.ClearRejection(peer, cancellationToken);
            Log.PushRejectionCleared(_logger, _hosted.Name, peer);
        }

        _rejected = false;
    }

    private static DateTime Deadline(TimeSpan timeout) => DateTime.UtcNow + timeout;

    public void Dispose()
    {
        // _pulling is not disposed: a link is let go of without waiting for its rounds, and disposing the semaphore
        // would throw in a finishing pull's Release and leave a round waiting in WaitAsync for ever (it never
        // allocates a wait handle, so there is nothing to free).
        if (_ownsChannel)
        {
            _channel.Dispose();
        }
    }
}
