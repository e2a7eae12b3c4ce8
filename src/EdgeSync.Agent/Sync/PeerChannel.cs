using EdgeSync.Agent.Security;
using Grpc.Net.Client;

namespace EdgeSync.Agent.Sync;

/// <summary>
/// The gRPC channel to one peer URL, shared by everything this agent says to that peer: the conversation and the pull
/// and push calls of every database's rounds (HTTP/2 multiplexes them over the same connections). With
/// <see cref="FleetTls"/>, connections present this site's certificate and accept only a server certificate from the
/// fleet CA; <see cref="CheckServerIdentity"/> then checks it covers the site the peer names.
/// </summary>
internal sealed class PeerChannel : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly FleetTls? _tls;
    private CertificateIdentity? _serverIdentity;

    public PeerChannel(string url, AgentOptions options, FleetTls? tls)
    {
        Url = url;
        _tls = tls;
        CallTimeout = TimeSpan.FromMilliseconds(options.CallTimeoutMs);
        StreamTimeout = TimeSpan.FromMilliseconds(options.StreamTimeoutMs);
        _channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectTimeout = CallTimeout,
                EnableMultipleHttp2Connections = true,
                KeepAlivePingDelay = TimeSpan.FromSeconds(20),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                SslOptions = tls?.ForClient(url, identity => Volatile.Write(ref _serverIdentity, identity), r => TlsRefusal = r) ?? new(),
            },
            MaxReceiveMessageSize = options.MaxMessageBytes,
            MaxSendMessageSize = options.MaxMessageBytes,
        });
        Client = new Protocol.V1.Sync.SyncClient(_channel);
    }

    public string Url { get; }

    /// <summary>The protocol both sides speak, once a conversation's hello or a handshake told the peer's (null before).</summary>
    public int? PeerProtocol { get; set; }

    public Protocol.V1.Sync.SyncClient Client { get; }

    /// <summary>Deadline of a unary call (handshake).</summary>
    public TimeSpan CallTimeout { get; }

    /// <summary>Deadline of one pull or push stream.</summary>
    public TimeSpan StreamTimeout { get; }

    /// <summary>Why this channel last refused the server's certificate (reason: detail), or null.</summary>
    public string? TlsRefusal { get; private set; }

    /// <summary>With mutual TLS: throws unless the server's certificate covers <paramref name="peerSite"/>, the site it named.</summary>
    public void CheckServerIdentity(string peerSite) => _tls?.ServerIdentity(Url, Volatile.Read(ref _serverIdentity), peerSite);

    public void Dispose() => _channel.Dispose();
}
