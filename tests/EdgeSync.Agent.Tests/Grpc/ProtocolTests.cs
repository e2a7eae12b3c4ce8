using EdgeSync.Agent.Internal;
using EdgeSync.Agent.Protocol.V1;
using EdgeSync.Agent.Tests.Support;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeSync.Agent.Tests.Grpc;

public sealed class ProtocolTests
{
    [Fact]
    public async Task Handshake_WithAProtocolOlderThanThePrevious_IsRefusedWithFailedPrecondition()
    {
        using var dir = new TempDir();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "proto-a");
        using var channel = GrpcChannel.ForAddress(a.Url);
        var client = new Protocol.V1.Sync.SyncClient(channel);

        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.HandshakeAsync(
            new HandshakeRequest { SiteId = "other", ProtocolVersion = Wire.PreviousProtocolVersion - 1 },
            deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("protocol version", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handshake_ReturnsSiteRoleAndVector()
    {
        using var dir = new TempDir();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "proto-hs", role: AgentRole.Hub);
        using var channel = GrpcChannel.ForAddress(a.Url);
        var client = new Protocol.V1.Sync.SyncClient(channel);
        AppDb.Exec(a.DbPath, "INSERT INTO items(id, name) VALUES ('x', 'y')");
        await Eventually.TrueAsync(() => a.Db.Vector[a.Site] > 0, "the write is captured");

        var reply = await client.HandshakeAsync(new HandshakeRequest { SiteId = "other", ProtocolVersion = Wire.ProtocolVersion },
            deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("proto-hs", reply.SiteId);
        Assert.Equal(Role.Hub, reply.Role);
        Assert.Equal(a.Db.Vector[a.Site], reply.Vector["proto-hs"]);
    }

    [Fact]
    public async Task Push_OfAMalformedBatch_IsRefusedWithInvalidArgument_AndNothingApplied()
    {
        using var dir = new TempDir();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "proto-push");
        using var channel = GrpcChannel.ForAddress(a.Url);
        var client = new Protocol.V1.Sync.SyncClient(channel);
        var headers = new Metadata
        {
            { Wire.SiteHeader, "intruder" },
            { Wire.ProtocolHeader, Wire.ProtocolVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        var ct = TestContext.Current.CancellationToken;
        using var call = client.Push(headers, deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: ct);

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await call.RequestStream.WriteAsync(new BatchMessage { Payload = ByteString.CopyFromUtf8("ESB1 definitely not a batch"), Rows = 1 }, ct);
            await call.RequestStream.CompleteAsync();
            await call.ResponseAsync;
        });

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("InvalidBatch", e.Trailers.GetValue("edgesync-error-code"));
        Assert.False(a.Db.Vector.ContainsKey("intruder"));
    }

    [Fact]
    public async Task Pull_ForAnUnknownDatabase_IsNotFound()
    {
        using var dir = new TempDir();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "proto-nf");
        using var channel = GrpcChannel.ForAddress(a.Url);
        var client = new Protocol.V1.Sync.SyncClient(channel);
        var ct = TestContext.Current.CancellationToken;

        using var call = client.Pull(new PullRequest { SiteId = "x", Database = "nope" }, deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: ct);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext(ct));

        Assert.Equal(StatusCode.NotFound, e.StatusCode);
    }
}
