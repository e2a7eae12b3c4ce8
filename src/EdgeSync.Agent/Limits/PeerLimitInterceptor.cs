using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using EdgeSync.Agent.Protocol.V1;
using EdgeSync.Agent.Security;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeSync.Agent.Limits;

/// <summary>
/// Per-peer limits on the sync service, kept out of the handlers: every call counts against its peer's
/// <see cref="AgentOptions.MaxStreamsPerPeer"/> (one more is refused with <c>RESOURCE_EXHAUSTED</c>, logged and
/// counted in <c>edgesync_streams_refused_total</c>. (The batches of a push take turns per database with every other
/// peer's in <see cref="Sync.PushApplier"/>, so a peer flooding the agent with pushes cannot starve the others.)
/// The peer is who <see cref="PeerIdentityResolver"/> says it is; a caller that names no site is counted by address.
/// </summary>
internal sealed class PeerLimitInterceptor(
    PeerStreamLimiter limiter, DatabaseRegistry registry, IOptions<AgentOptions> options, ILogger<PeerLimitInterceptor> logger)
    : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        string peer = PeerOf(context, ClaimedSite(request, context));
        Acquire(peer, context);
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        finally
        {
            limiter.Release(peer);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        string peer = PeerOf(context, context.RequestHeaders.GetValue(Wire.SiteHeader) ?? "");
        Acquire(peer, context);
        try
        {
            return await continuation(requestStream, context).ConfigureAwait(false);
        }
        finally
        {
            limiter.Release(peer);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        string peer = PeerOf(context, ClaimedSite(request, context));
        Acquire(peer, context);
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        finally
        {
            limiter.Release(peer);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        string peer = PeerOf(context, context.RequestHeaders.GetValue(Wire.SiteHeader) ?? "");
        Acquire(peer, context);
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
        }
        finally
        {
            limiter.Release(peer);
        }
    }

    private void Acquire(string peer, ServerCallContext context)
    {
        int max = options.Value.MaxStreamsPerPeer;
        if (limiter.TryAcquire(peer, max, out int open))
        {
            return;
        }

        string call = context.Method[(context.Method.LastIndexOf('/') + 1)..];
        registry.Metrics.StreamRefused(registry.All is [var first, ..] ? first.Site : "", call);
        Log.StreamRefused(logger, call, peer, open);
        throw new RpcException(new Status(StatusCode.ResourceExhausted,
            $"peer '{peer}' already has {open} calls open on this agent, the limit (MaxStreamsPerPeer); retry when one has finished"));
    }

    private static string ClaimedSite<TRequest>(TRequest request, ServerCallContext context) => request switch
    {
        HandshakeRequest h => h.SiteId,
        PullRequest p => p.SiteId,
        WatchRequest w => w.SiteId,
        _ => context.RequestHeaders.GetValue(Wire.SiteHeader) ?? "",
    };

    private static string PeerOf(ServerCallContext context, string claimedSite)
    {
        string site = PeerIdentityResolver.Resolve(context, claimedSite).Site;
        if (site.Length > 0)
        {
            return site;
        }

        // "ipv4:10.1.2.3:50712" → "ipv4:10.1.2.3": every anonymous call from one address shares one budget.
        string address = context.Peer ?? "";
        int port = address.LastIndexOf(':');
        return "address " + (port > 0 ? address[..port] : address);
    }
}
