using EdgeSync.Agent.Tests.Support;
using EdgeSync.Clocks;
using EdgeSync.Merge;
using EdgeSync.Protocol;
using Grpc.Core;

namespace EdgeSync.Agent.Tests.Limits;

/// <summary>
/// Every refusal of hostile or broken input over real gRPC and HTTP: a clear status and message, nothing applied,
/// and the agent keeps serving everyone else.
/// </summary>
public sealed class HostileInputTests
{
    private static readonly Dictionary<string, string?> SmallMessages = new() { ["EdgeSync:MaxMessageBytes"] = (1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture) };

    private static ChangeBatch Rewrite(ChangeBatch b, Func<TableChangeSet, TableChangeSet> change) =>
        new(b.Sender, b.SenderVector, b.Ranges, b.Tables.Select(change).ToList());

    private static TableChangeSet Rows(TableChangeSet t, Func<RowChange, RowChange> change) =>
        new(t.Table, t.Columns, t.KeyColumns, t.AllRows().Select(change).ToList());

    private static RowChange Value(RowChange r, int column, object? value)
    {
        var values = (object?[])r.State.Values!.Clone();
        values[column] = value;
        return r with { State = RowState.Alive(r.State.CausalLength, values, r.State.Clocks) };
    }

    /// <summary>Each case: what is wrong with the batch, and what the refusal must say.</summary>
    public static TheoryData<string, string> Cases() => new()
    {
        { "unknown table", "which is not synced here" },
        { "column named twice", "names column 'name' twice" },
        { "type mismatch", "datatype mismatch" },
        { "far-future clock", "ahead of this replica's clock" },
        { "key that is not the row's", "carries a different value in key column" },
    };

    private static ChangeBatch Break(ChangeBatch batch, string what) => what switch
    {
        "unknown table" => Rewrite(batch, t => t.Table == "items" ? new TableChangeSet("gadgets", t.Columns, t.KeyColumns, t.Rows, t.Runs) : t),
        "column named twice" => Rewrite(batch, t => t.Table == "items" ? new TableChangeSet(t.Table, ["id", "name", "name", "photo"], t.KeyColumns, t.Rows, t.Runs) : t),
        "type mismatch" => Rewrite(batch, t => t.Table == "readings" ? Rows(t, r => Value(r, 0, "not-a-rowid") with { Key = ["not-a-rowid"] }) : t),
        "far-future clock" => Rewrite(batch, t => Rows(t, r => r with
        {
            State = RowState.Alive(r.State.CausalLength, r.State.Values!, r.State.Clocks
                .Select(c => c with { Hlc = Hlc.From(DateTimeOffset.UtcNow.AddMinutes(30).ToUnixTimeMilliseconds(), 0) }).ToArray()),
        })),
        _ => Rewrite(batch, t => t.Table == "items" ? Rows(t, r => r with { Key = ["someone-else"] }) : t),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Push_OfABatchThatDoesNotFit_IsInvalidArgumentWithAClearMessage_AndNothingIsApplied(string what, string message)
    {
        using var dir = new TempDir();
        await using var agent = await TestAgent.StartAsync(dir.Db("agent"), "hostile-" + what.Replace(' ', '-'));
        using var peer = new RawPeer(agent.Url, "sender/0", dir.Db("sender"));
        AppDb.Exec(peer.DbPath, "INSERT INTO items(id, name, qty) VALUES ('i1', 'bolt', 3)");
        AppDb.InsertReadings(peer.DbPath, 1, 5, "d");
        var batch = Assert.Single(peer.Batches());
        string before = agent.Db.Checksum(TestContext.Current.CancellationToken), vector = agent.Db.Vector.ToString();

        var e = await Assert.ThrowsAsync<RpcException>(() => peer.PushAsync(Break(batch, what)));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(message, e.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("InvalidBatch", e.Trailers.GetValue("edgesync-error-code"));
        Assert.Equal(before, agent.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.Equal(vector, agent.Db.Vector.ToString());
        await peer.PushAsync(batch); // the same peer's valid batch is still accepted
        Assert.Equal(peer.Db.Checksum(TestContext.Current.CancellationToken), agent.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Push_OfTruncatedOrGarbageBatches_IsInvalidArgument_NothingApplied_AndAnotherPeerKeepsSyncing()
    {
        using var dir = new TempDir();
        await using var agent = await TestAgent.StartAsync(dir.Db("agent"), "hostile-garbage");
        await using var other = await TestAgent.StartAsync(dir.Db("other"), "hostile-garbage-other", peers: [agent.Url]);
        using var peer = new RawPeer(agent.Url, "garbage/0", dir.Db("garbage"));
        AppDb.InsertReadings(peer.DbPath, 1, 2_000, "d");
        byte[] valid = BatchCodec.Encode(peer.Batches()[0]);
        var ct = TestContext.Current.CancellationToken;

        var attacks = Task.Run(async () =>
        {
            var random = new Random(7);
            for (int i = 0; i < 40; i++)
            {
                byte[] bad = (i % 3) switch
                {
                    0 => valid[..random.Next(valid.Length)], // truncated stream
                    1 => [.. "ESB1"u8, 0, .. RandomBytes(random)], // garbage body
                    _ => [.. "ESB1"u8, 1, .. new byte[random.Next(1, 300)]], // garbage compressed body
                };
                try
                {
                    await peer.PushAsync([bad], cancellationToken: ct);
                }
                catch (RpcException e)
                {
                    Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
                }
            }
        }, ct);
        for (int i = 0; i < 5; i++)
        {
            AppDb.Exec(other.DbPath, "INSERT INTO items(id, name) VALUES ($1, 'from-other')", "o" + i);
        }

        await attacks;
        await Eventually.TrueAsync(() => AppDb.Count(agent.DbPath, "items", "name = 'from-other'") == 5, "the other peer's rows reach the agent");
        Assert.False(agent.Db.Vector.ContainsKey("garbage/0"), "nothing of the garbage peer was applied");
        Assert.Equal(0L, AppDb.Count(agent.DbPath, "readings"));
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(1, 400)];
        random.NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task Push_OfAMessageOverMaxMessageBytes_IsResourceExhausted_AndTheAgentKeepsServing()
    {
        using var dir = new TempDir();
        await using var agent = await TestAgent.StartAsync(dir.Db("agent"), "hostile-big", settings: SmallMessages);
        using var peer = new RawPeer(agent.Url, "big/0", dir.Db("big"));
        var huge = new byte[2 * 1024 * 1024];
        new Random(3).NextBytes(huge);

        var e = await Assert.ThrowsAsync<RpcException>(() => peer.PushAsync([huge], cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        AppDb.Exec(peer.DbPath, "INSERT INTO items(id, name) VALUES ('small', 'fits')");
        await peer.PushAsync(peer.Batches().ToArray());
        Assert.Equal(1L, AppDb.Count(agent.DbPath, "items", "id = 'small'"));
    }

    [Fact]
    public async Task Ingest_BodyOverMaxIngestBodyBytes_Is413_AndNothingIsWritten()
    {
        using var dir = new TempDir();
        await using var agent = await TestAgent.StartAsync(dir.Db("agent"), "hostile-body",
            settings: new Dictionary<string, string?> { ["EdgeSync:MaxIngestBodyBytes"] = "10000" });
        string rows = "[" + string.Join(",", Enumerable.Range(0, 1_000).Select(i => $"{{\"id\":\"r{i}\",\"name\":\"n\"}}")) + "]";
        var ct = TestContext.Current.CancellationToken;

        // Expect: 100-continue, as a client sending a large body should: the agent answers before the body is sent.
        using var withLength = new HttpRequestMessage(HttpMethod.Post, "/v1/tables/items/rows")
        {
            Content = new StringContent(rows, System.Text.Encoding.UTF8, "application/json"),
        };
        withLength.Headers.ExpectContinue = true;
        using var declared = await agent.Http.SendAsync(withLength, ct);
        using var chunked = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(rows)));
        chunked.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/tables/items/rows") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.ExpectContinue = true;
        using var streamed = await agent.Http.SendAsync(request, ct);

        Assert.Equal(System.Net.HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);
        Assert.Contains("MaxIngestBodyBytes", await declared.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.RequestEntityTooLarge, streamed.StatusCode);
        Assert.Equal(0L, AppDb.Count(agent.DbPath, "items"));
        using var small = await agent.Http.PostAsync("/v1/tables/items/rows", new StringContent("[{\"id\":\"ok\",\"name\":\"n\"}]", System.Text.Encoding.UTF8, "application/json"), ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, small.StatusCode);
    }

    [Fact]
    public async Task Ingest_StringThatIsNotUtf8_Is400_NotAServerError()
    {
        using var dir = new TempDir();
        await using var agent = await TestAgent.StartAsync(dir.Db("agent"), "hostile-utf8");
        byte[] body = [.. "[{\"id\":\"a"u8, 0xC3, 0x28, .. "\",\"name\":\"n\"}]"u8];

        using var response = await agent.Http.PostAsync("/v1/tables/items/rows", new ByteArrayContent(body), TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not valid UTF-8", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(0L, AppDb.Count(agent.DbPath, "items"));
    }
}
