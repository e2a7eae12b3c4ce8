using EdgeSync.Agent.Internal;
using EdgeSync.Agent.Protocol.V1;
using EdgeSync.Agent.Security;
using EdgeSync.Agent.Verify;
using EdgeSync.Verify;
using Google.Protobuf;
using Grpc.Core;

namespace EdgeSync.Agent.Grpc;

/// <summary>The anti-entropy call: content digests and the rows of chosen buckets (see <see cref="ContentCheck"/>).</summary>
internal sealed partial class SyncService
{
    public override async Task<DigestReply> Digest(DigestRequest request, ServerCallContext context)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var ct = cts.Token;
        try
        {
            PeerIdentityResolver.Resolve(context, request.SiteId);
            var hosted = registry.Get(request.Database);
            int buckets = request.BucketCount == 0 ? ReplicaDigest.DefaultBucketCount : request.BucketCount;
            if (buckets is < 1 or > ReplicaDigest.MaxBucketCount)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"bucket_count {request.BucketCount} is outside 1..{ReplicaDigest.MaxBucketCount}"));
            }

            var callerRole = Wire.FromWire(request.Role);
            var reply = new DigestReply { Role = Wire.ToWire(hosted.Role) };
            if (request.Buckets.IsEmpty)
            {
                // The scan reads every row once (about a second per million rows): off the gRPC thread.
                var digest = await Task.Run(() => hosted.Db.Digest(buckets, ContentCheck.FlowsBothWays(hosted, callerRole), ct), ct).ConfigureAwait(false);
                reply.Digest = UnsafeByteOperations.UnsafeWrap(DigestCodec.Encode(digest));
            }
            else
            {
                IReadOnlyList<BucketRequest> wanted;
                try
                {
                    wanted = DigestCodec.DecodeRequests(request.Buckets.Span);
                }
                catch (FormatException e)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"malformed bucket request: {e.Message}"));
                }

                if (wanted.Sum(w => w.Buckets.Count) > RemoteDigest.MaxBucketsPerCall)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument,
                        $"at most {RemoteDigest.MaxBucketsPerCall} buckets per call (each is a full read of its table and a share of its rows)"));
                }

                var filter = ContentCheck.FlowsBothWays(hosted, callerRole);
                wanted = [.. wanted.Where(w => filter(w.Table))];
                if (wanted.SelectMany(w => w.Buckets).Any(b => b >= buckets))
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"a requested bucket is outside 0..{buckets - 1}"));
                }

                var rows = await Task.Run(() => hosted.Db.DigestRows(wanted, buckets, ct), ct).ConfigureAwait(false);
                reply.Rows = UnsafeByteOperations.UnsafeWrap(DigestCodec.Encode(rows));
            }

            return reply;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Fail("Digest", request.SiteId, e);
        }
    }
}
