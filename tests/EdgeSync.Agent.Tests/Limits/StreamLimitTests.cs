using EdgeSync.Agent.Internal;
using EdgeSync.Agent.Protocol.V1;
using EdgeSync.Agent.Tests.Support;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeSync.Agent.Tests.Limits;

public sealed class StreamLimitTests
{
    private static async Task<AsyncServerStreamingCall<WatchEvent>> OpenWatchAsync(Protocol.V1.Sync.SyncClient client, string site, CancellationToken ct)
    {
        var call = client.Watch(new WatchRequest { SiteId = site }, cancellationToken: ct);
        if (!await call.ResponseStream.MoveNext(ct))
        {
            throw new InvalidOperationException("the watch ended at once");
        }

        return call;
    }

    [Fact]
    public async Task CallsBeyondMaxStreamsPerPeer_AreResourceExhausted_WhileAnotherPeersCallsSucceed()
    {
        using var dir = new TempDir();
        await using var agent = await TestAgent.StartAsync(dir.Db("agent"), "limit-agent",
            settings: new Dictionary<string, string?> { ["EdgeSync:MaxStreamsPerPeer"] = "3" });
        var refused = agent.Metric("edgesync_streams_refused");
        using var channel = GrpcChannel.ForAddress(agent.Url);
        var client = new Protocol.V1.Sync.SyncClient(channel);
        var ct = TestContext.Current.CancellationToken;
        var held = new List<AsyncServerStreamingCall<WatchEvent>>();
        for (int i = 0; i < 3; i++)
        {
            held.Add(await OpenWatchAsync(client, "greedy/0", ct));
        }

        var watch = await Assert.ThrowsAsync<RpcException>(() => OpenWatchAsync(client, "greedy/0", ct));
        var handshake = await Assert.ThrowsAsync<RpcException>(async () => await client.HandshakeAsync(
            new HandshakeRequest { SiteId = "greedy/0", ProtocolVersion = Wire.ProtocolVersion }, cancellationToken: ct));
        using var push = client.Push(new Metadata { { Wire.SiteHeader, "greedy/0" } }, cancellationToken: ct);
        var pushed = await Assert.ThrowsAsync<RpcException>(async () => await push.ResponseAsync);

        Assert.All([watch, handshake, pushed], e =>
        {
            Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
            Assert.Contains("peer 'greedy/0' already has 3 calls open", e.Status.Detail, StringComparison.Ordinal);
        });
        Assert.Equal(3, refused.Sum("limit-agent"));

        // Another peer is not affected, on the same connection even.
        var others = new List<AsyncServerStreamingCall<WatchEvent>>();
        for (int i = 0; i < 3; i++)
        {
            others.Add(await OpenWatchAsync(client, "modest/0", ct));
        }

        var reply = await client.HandshakeAsync(new HandshakeRequest { SiteId = "polite/0", ProtocolVersion = Wire.ProtocolVersion }, cancellationToken: ct);
        Assert.Equal("limit-agent", reply.SiteId);

        // A finished call gives its slot back.
        held[0].Dispose();
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await client.HandshakeAsync(new HandshakeRequest { SiteId = "greedy/0", ProtocolVersion = Wire.ProtocolVersion }, cancellationToken: ct);
                return true;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
            {
                return false;
            }
        }, "the greedy peer's slot is released when one of its calls ends");
        foreach (var call in held.Concat(others))
        {
            call.Dispose();
        }
    }

    private static async Task<AsyncDuplexStreamingCall<ConversationMessage, ConversationMessage>> OpenConversationAsync(
        Protocol.V1.Sync.SyncClient client, string site, CancellationToken ct)
    {
        var call = client.Converse(new Metadata
        {
            { Wire.SiteHeader, site },
            { Wire.ProtocolHeader, Wire.ProtocolVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        }, cancellationToken: ct);
        await call.RequestStream.WriteAsync(new ConversationMessage
        {
            Full = true,
            Hello = new ConversationHello { SiteId = site, ProtocolVersion = Wire.ProtocolVersion },
        }, ct);
        if (!await call.ResponseStream.MoveNext(ct) || call.ResponseStream.Current.Hello is null)
        {
            throw new InvalidOperationException("the conversation ended without the agent's hello");
        }

        return call;
    }

    [Fact]
    public async Task ConversationsBeyondMaxStreamsPerPeer_AreResourceExhausted()
    {
        using var dir = new TempDir();
        await using var agent = await TestAgent.StartAsync(dir.Db("agent"), "limit-agent",
            settings: new Dictionary<string, string?> { ["EdgeSync:MaxStreamsPerPeer"] = "3" });
        using var channel = GrpcChannel.ForAddress(agent.Url);
        var client = new Protocol.V1.Sync.SyncClient(channel);
        var ct = TestContext.Current.CancellationToken;
        var held = new List<AsyncDuplexStreamingCall<ConversationMessage, ConversationMessage>>();
        for (int i = 0; i < 3; i++)
        {
            var call = await OpenConversationAsync(client, "chatty/0", ct);
            held.Add(call);
            Assert.Contains(call.ResponseStream.Current.Databases, d => d.Database == "app" && d.SiteId == "limit-agent");
        }

        var refused = await Assert.ThrowsAsync<RpcException>(() => OpenConversationAsync(client, "chatty/0", ct));
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("peer 'chatty/0' already has 3 calls open", refused.Status.Detail, StringComparison.Ordinal);
        foreach (var call in held)
        {
            call.Dispose();
        }
    }
}
