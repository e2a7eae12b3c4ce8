using EdgeSync.Agent.Internal;
using EdgeSync.Agent.Protocol.V1;
using EdgeSync.Verify;
using Google.Protobuf;
using Grpc.Net.Client;

namespace EdgeSync.Agent.Verify;

/// <summary>The client side of the <c>Digest</c> call for one peer URL: the peer's digest, and the rows of chosen buckets.</summary>
internal sealed class RemoteDigest : IDisposable
{
    /// <summary>
    /// The most buckets one call may ask the rows of: 16 buckets of a 10M-row table at 1,024 buckets are ~160,000 rows,
    /// ~9 MB on the wire, well under <see cref="AgentOptions.MaxMessageBytes"/>; a server refuses more.
    /// </summary>
    public const int MaxBucketsPerCall = 16;

    private readonly GrpcChannel _channel;
    private readonly Protocol.V1.Sync.SyncClient _client;
    private readonly TimeSpan _timeout;

    /// <summary>
    /// A client for <paramref name="url"/>; with <paramref name="tls"/> it presents this site's certificate and accepts
    /// only a server certificate from the fleet CA (as <see cref="Sync.PeerClient"/> does).
    /// </summary>
    public RemoteDigest(string url, AgentOptions options, Security.FleetTls? tls)
    {
        Url = url;
        _timeout = TimeSpan.FromMilliseconds(Math.Max(options.StreamTimeoutMs, options.CallTimeoutMs));
        _channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectTimeout = TimeSpan.FromMilliseconds(options.CallTimeoutMs),
                SslOptions = tls?.ForClient(url, _ => { }, _ => { }) ?? new(),
            },
            MaxReceiveMessageSize = options.MaxMessageBytes,
            MaxSendMessageSize = options.MaxMessageBytes,
        });
        _client = new Protocol.V1.Sync.SyncClient(_channel);
    }

    public string Url { get; }

    /// <summary>Bytes received in replies so far (digests and rows), for the benchmark and the CLI's report.</summary>
    public long BytesReceived { get; private set; }

    /// <summary>The peer's digest of <paramref name="database"/> and its role.</summary>
    public async Task<(ReplicaDigest Digest, AgentRole Role)> DigestAsync(string site, string database, AgentRole role, int bucketCount,
        CancellationToken cancellationToken)
    {
        var reply = await _client.DigestAsync(new DigestRequest { SiteId = site, Database = database, Role = Wire.ToWire(role), BucketCount = bucketCount },
            deadline: DateTime.UtcNow + _timeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        BytesReceived += reply.CalculateSize();
        return (DigestCodec.DecodeDigest(reply.Digest.Span), Wire.FromWire(reply.Role));
    }

    /// <summary>The peer's rows of the <paramref name="wanted"/> buckets, in calls of at most <see cref="MaxBucketsPerCall"/> buckets.</summary>
    public async Task<IReadOnlyList<BucketRows>> RowsAsync(string site, string database, AgentRole role, int bucketCount,
        IReadOnlyList<BucketRequest> wanted, CancellationToken cancellationToken)
    {
        var chunks = wanted.SelectMany(w => w.Buckets.Chunk(MaxBucketsPerCall).Select(b => new BucketRequest(w.Table, b))).ToList();
        var rows = new List<BucketRows>();
        foreach (var chunk in chunks)
        {
            var request = new DigestRequest
            {
                SiteId = site,
                Database = database,
                Role = Wire.ToWire(role),
                BucketCount = bucketCount,
                Buckets = UnsafeByteOperations.UnsafeWrap(DigestCodec.Encode([chunk])),
            };
            var reply = await _client.DigestAsync(request, deadline: DateTime.UtcNow + _timeout, cancellationToken: cancellationToken).ConfigureAwait(false);
            BytesReceived += reply.CalculateSize();
            rows.AddRange(DigestCodec.DecodeRows(reply.Rows.Span));
        }

        return rows;
    }

    public void Dispose() => _channel.Dispose();
}
