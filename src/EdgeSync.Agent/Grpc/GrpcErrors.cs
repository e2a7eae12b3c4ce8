using EdgeSync.Agent.Sync;
using EdgeSync.Errors;
using Grpc.Core;

namespace EdgeSync.Agent.Grpc;

/// <summary>
/// Maps engine errors to gRPC status codes: a malformed batch is INVALID_ARGUMENT; a peer that must re-seed or a stale
/// batch is FAILED_PRECONDITION (with the engine's message and its code in the <c>edgesync-error-code</c> trailer);
/// a batch a hub's authorization rules refuse is PERMISSION_DENIED (rule in the <c>edgesync-rule</c> trailer);
/// a closing agent or a locked file is UNAVAILABLE (retry); anything else INTERNAL without internals.
/// </summary>
internal static class GrpcErrors
{
    public static RpcException ToRpc(Exception exception) => exception switch
    {
        RpcException r => r,
        Security.UnauthorizedBatchException e => new RpcException(new Status(StatusCode.PermissionDenied, e.Message),
            new Metadata { { Security.UnauthorizedBatchException.RuleTrailer, e.Rule } }),
        InvalidBatchException e => Create(StatusCode.InvalidArgument, e),
        SyncStateException e => Create(StatusCode.FailedPrecondition, e),
        EdgeSyncException { Code: ErrorCode.StorageFailure } e => Create(StatusCode.Unavailable, e),
        EdgeSyncException e => Create(StatusCode.FailedPrecondition, e),
        ObjectDisposedException => new RpcException(new Status(StatusCode.Unavailable, "the agent is stopping")),
        _ => new RpcException(new Status(StatusCode.Internal, "internal error; see the agent's log")),
    };

    private static RpcException Create(StatusCode status, EdgeSyncException e) =>
        new(new Status(status, e.Message), new Metadata { { SyncErrors.CodeTrailer, e.Code.ToString() } });
}
