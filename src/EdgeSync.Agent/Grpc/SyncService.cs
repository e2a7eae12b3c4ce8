using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using EdgeSync.Agent.Protocol.V1;
using EdgeSync.Agent.Security;
using EdgeSync.Agent.Sync;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Grpc;

/// <summary>
/// The server side of the sync protocol. Every handler reads the caller's vector, sends or applies only what that
/// vector implies, and enforces the table directions between the caller's role and this agent's.
/// </summary>
internal sealed partial class SyncService(
    DatabaseRegistry registry, IHostApplicationLifetime lifetime, Console.ReplicaReports reports, PushAppliers appliers, ILogger<SyncService> logger)
    : Protocol.V1.Sync.SyncBase
{
    public override Task<HandshakeReply> Handshake(HandshakeRequest request, ServerCallContext context)
    {
        try
        {
            PeerIdentityResolver.Resolve(context, request.SiteId);
            DatabaseRegistry.CheckProtocol(request.ProtocolVersion);
            var hosted = registry.Get(request.Database);
            var vector = Wire.ToVector(request.Vector);
            if (request.SiteId.Length > 0 && request.SiteId != hosted.Site)
            {
                hosted.Db.QueuePeerVector(request.SiteId, vector); // never waits for the writer
                hosted.Board.Observe(request.SiteId, vector, success: false);
            }

            var reply = new HandshakeReply
            {
                SiteId = hosted.Site,
                ProtocolVersion = hosted.Options.ProtocolVersion,
                Role = Wire.ToWire(hosted.Role),
                ClusterId = hosted.Options.ClusterId ?? "",
            };
            Wire.CopyTo(hosted.Db.Vector, reply.Vector);
            reply.Disclaimed.AddRange(Wire.ToWire(hosted.Db.Disclaimed));
            return Task.FromResult(reply);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Fail("Handshake", request.SiteId, e);
        }
    }

    public override async Task Pull(PullRequest request, IServerStreamWriter<BatchMessage> responseStream, ServerCallContext context)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var ct = cts.Token;
        try
        {
            PeerIdentityResolver.Resolve(context, request.SiteId);
            var hosted = registry.Get(request.Database);
            var peerRole = Wire.FromWire(request.Role);
            var vector = Wire.ToVector(request.Vector);
            hosted.Board.Observe(request.SiteId, vector, success: false);
            var reclaim = request.Reclaim.Count == 0 ? null : request.Reclaim.ToHashSet(StringComparer.Ordinal);
            await new Outbound(hosted.Endpoint, request.SiteId, peerRole, Wire.FromHeader(context.RequestHeaders), reclaim, Wire.FromWire(request.Disclaimed))
                .SendAsync(vector, (batch, token) => new(responseStream.WriteAsync(Wire.ToMessage(batch), token)), ct).ConfigureAwait(false);

            hosted.Board.Observe(request.SiteId, vector, success: true);
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            // The caller went away (or the agent is stopping) mid-stream: it resumes from its vector next round.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Fail("Pull", request.SiteId, e);
        }
    }

    public override async Task<PushReply> Push(IAsyncStreamReader<BatchMessage> requestStream, ServerCallContext context)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var ct = cts.Token;
        string peer = context.RequestHeaders.GetValue(Wire.SiteHeader) ?? "";
        try
        {
            _ = int.TryParse(context.RequestHeaders.GetValue(Wire.ProtocolHeader), out int protocol);
            DatabaseRegistry.CheckProtocol(protocol);
            if (peer.Length == 0)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"push without the '{Wire.SiteHeader}' header"));
            }

            var identity = PeerIdentityResolver.Resolve(context, peer);
            var hosted = registry.Get(context.RequestHeaders.GetValue(Wire.DatabaseHeader));
            var peerRole = Wire.ParseRole(context.RequestHeaders.GetValue(Wire.RoleHeader));
            var inbound = new Inbound(hosted.Endpoint, peer, peerRole, HubAuthorization.CheckFor(hosted, identity, logger));
            var applier = appliers.For(hosted.Name);
            await foreach (var message in requestStream.ReadAllAsync(ct).ConfigureAwait(false))
            {
                await applier.ApplyAsync(identity.Site, inbound, message.Payload.Memory, ct).ConfigureAwait(false); // in turn with other peers' pushes
            }

            hosted.Board.Observe(peer, inbound.PeerVector, success: true);
            var reply = new PushReply();
            Wire.CopyTo(hosted.Db.Vector, reply.Vector); // committed: covers every batch of this push
            return reply;
        }
        catch (Exception e) when (e is not OperationCanceledException && !ct.IsCancellationRequested)
        {
            throw Fail("Push", peer, e);
        }
    }

    public override async Task Watch(WatchRequest request, IServerStreamWriter<WatchEvent> responseStream, ServerCallContext context)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var ct = cts.Token;
        HostedDatabase hosted;
        try
        {
            PeerIdentityResolver.Resolve(context, request.SiteId);
            hosted = registry.Get(request.Database);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Fail("Watch", request.SiteId, e);
        }

        using var subscription = hosted.Changed.Subscribe();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var vector = hosted.TryVector();
                if (vector is null)
                {
                    return;
                }

                var ev = new WatchEvent();
                Wire.CopyTo(vector, ev.Vector);
                await responseStream.WriteAsync(ev, ct).ConfigureAwait(false);
                await subscription.Reader.ReadAsync(ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Caller gone or agent stopping: the watch simply ends.
        }
    }

    private RpcException Fail(string call, string peer, Exception exception)
    {
        var rpc = GrpcErrors.ToRpc(exception);
        registry.Metrics.Error(SyncErrors.Kind(rpc), "server");
        if (rpc.StatusCode == StatusCode.Internal)
        {
            Log.ServerError(logger, call, peer, exception);
        }
        else if (exception is not UnauthorizedBatchException)
        {
            Log.Refused(logger, call, peer, rpc.StatusCode.ToString(), rpc.Status.Detail); // an unauthorized batch was logged when refused
        }

        return rpc;
    }

    public override async Task<IngestReply> Ingest(IngestRequest request, ServerCallContext context)
    {
        if (RequestAuthentication.Check(context.GetHttpContext()) is { } unauthenticated)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                $"ingest needs a client certificate from the fleet CA or 'authorization: Bearer <token>' ({unauthenticated})"));
        }

        var ack = context.GetHttpContext().RequestServices.GetRequiredService<EdgeSync.Agent.Ingest.IngestAck>();
        var agentOptions = context.GetHttpContext().RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<AgentOptions>>().Value;
        if (EdgeSync.Agent.Ingest.IngestAck.ParseRequest(request.Ack, request.AckTimeoutMs > 0 ? request.AckTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
            agentOptions, out var level, out var timeout) is not null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"ack '{request.Ack}' / ack_timeout_ms {request.AckTimeoutMs}: use local, replicas:N, hub or exported, and a timeout from 1 to {agentOptions.AckTimeoutMs} ms"));
        }

        System.Text.Json.JsonDocument document;
        try
        {
            document = System.Text.Json.JsonDocument.Parse(request.RowsJson);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"rows_json is not valid JSON: {e.Message}"));
        }

        using (document)
        {
            var outcome = EdgeSync.Agent.Ingest.IngestProcessor.Ingest(registry, string.IsNullOrEmpty(request.Database) ? null : request.Database,
                request.Table, document.RootElement, logger, ack.Guard);
            if (outcome.Ok)
            {
                var reply = new IngestReply { Table = outcome.Table, Rows = outcome.Rows };
                if (level.Kind != AckLevelKind.Local)
                {
                    var hosted = registry.Get(string.IsNullOrEmpty(request.Database) ? null : request.Database);
                    var result = await ack.WaitCoreAsync(hosted, level, timeout, context.CancellationToken).ConfigureAwait(false);
                    if (!result.Reached)
                    {
                        throw new RpcException(new Status(StatusCode.DeadlineExceeded,
                            $"not acknowledged at level '{level}' in time: " + EdgeSync.Agent.Ingest.IngestAck.NotReached(hosted, outcome, result)));
                    }

                    reply.HeldBy.AddRange(result.PeersHolding);
                }

                return reply;
            }

            var code = outcome.Status switch
            {
                400 => StatusCode.InvalidArgument,
                404 => StatusCode.NotFound,
                409 => StatusCode.AlreadyExists,
                507 => StatusCode.ResourceExhausted,
                _ => StatusCode.Unavailable,
            };
            var detail = outcome.Problems is { } problems
                ? outcome.Title + ": " + string.Join("; ", problems.SelectMany(p => p.Value.Select(v => $"{p.Key}: {v}")))
                : $"{outcome.Title}{(outcome.Detail is null ? "" : ": " + outcome.Detail)}";
            throw new RpcException(new Status(code, detail));
        }
    }
}
