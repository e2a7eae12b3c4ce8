using System.Net.Sockets;
using EdgeSync.Errors;
using Grpc.Core;

namespace EdgeSync.Agent.Sync;

/// <summary>Classifies sync failures: a metric label (<see cref="Kind"/>) and whether a retry can help (<see cref="IsTransient"/>).</summary>
internal static class SyncErrors
{
    /// <summary>Trailer carrying the <see cref="ErrorCode"/> of a refusal, so the caller can tell its kind apart.</summary>
    public const string CodeTrailer = "edgesync-error-code";

    public static string Kind(Exception exception) => exception switch
    {
        RpcException r => r.StatusCode switch
        {
            StatusCode.Unavailable => "unavailable",
            StatusCode.DeadlineExceeded => "deadline",
            StatusCode.Cancelled => "cancelled",
            StatusCode.NotFound => "not_found",
            StatusCode.InvalidArgument => "invalid_batch",
            StatusCode.PermissionDenied => "permission_denied",
            StatusCode.FailedPrecondition => TrailerCode(r) switch
            {
                nameof(ErrorCode.ResyncRequired) => "resync_required",
                nameof(ErrorCode.StaleBatch) => "stale_batch",
                null => "protocol",
                var code => Snake(code),
            },
            _ => "internal",
        },
        InvalidBatchException => "invalid_batch",
        Security.UnauthorizedBatchException => "permission_denied",
        EdgeSyncException e => Snake(e.Code.ToString()),
        HttpRequestException or IOException or SocketException => "unavailable",
        _ => "internal",
    };

    public static bool IsTransient(Exception exception) => exception switch
    {
        RpcException r => r.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted
            or StatusCode.Aborted or StatusCode.Internal or StatusCode.Unknown
            || (r.StatusCode == StatusCode.FailedPrecondition && TrailerCode(r) == nameof(ErrorCode.StaleBatch)),
        SyncStateException s => s.Code == ErrorCode.StaleBatch,
        StorageException => true,
        HttpRequestException or IOException or SocketException => true,
        _ => false,
    };

    private static string? TrailerCode(RpcException r) => r.Trailers.GetValue(CodeTrailer);

    private static string Snake(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
