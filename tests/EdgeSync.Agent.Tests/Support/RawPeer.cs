using EdgeSync.Agent.Internal;
using EdgeSync.Agent.Protocol.V1;
using EdgeSync.Clocks;
using EdgeSync.Merge;
using EdgeSync.Protocol;
using EdgeSync.Schema;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeSync.Agent.Tests.Support;

/// <summary>
/// A peer that speaks the sync protocol by hand, to send an agent exactly the batches a test wants (valid ones made
/// by its own replica, crafted ones, or raw bytes) over a real gRPC channel.
/// </summary>
public sealed class RawPeer : IDisposable
{
    private readonly GrpcChannel _channel;

    public RawPeer(string agentUrl, string site, string dbPath)
    {
        Site = site;
        AppDb.Create(dbPath);
        DbPath = dbPath;
        Db = SyncDatabase.Open(dbPath, new SyncDatabaseOptions { SiteId = site });
        Db.EnableTable("readings", TablePolicy.Append);
        Db.EnableTable("settings", TablePolicy.Lww);
        Db.EnableTable("items", TablePolicy.Lww);
        _channel = GrpcChannel.ForAddress(agentUrl, new GrpcChannelOptions { MaxReceiveMessageSize = null, MaxSendMessageSize = null });
        Client = new Protocol.V1.Sync.SyncClient(_channel);
    }

    public string Site { get; }

    public string DbPath { get; }

    public SyncDatabase Db { get; }

    internal Protocol.V1.Sync.SyncClient Client { get; }

    /// <summary>Every change of this peer's replica, as batches (what a real push would send to an empty agent).</summary>
    public List<ChangeBatch> Batches() => Db.GetChanges(VersionVector.Empty, TestContext.Current.CancellationToken).ToList();

    public Metadata Headers() => new()
    {
        { Wire.SiteHeader, Site },
        { Wire.RoleHeader, AgentRole.Peer.ToString() },
        { Wire.ProtocolHeader, Wire.ProtocolVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };

    /// <summary>Pushes <paramref name="payloads"/> on one stream; throws the agent's <see cref="RpcException"/> on refusal.</summary>
    internal async Task<PushReply> PushAsync(IEnumerable<byte[]> payloads, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        using var call = Client.Push(Headers(), deadline: DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20)), cancellationToken: cancellationToken);
        try
        {
            foreach (var payload in payloads)
            {
                await call.RequestStream.WriteAsync(new BatchMessage { Payload = ByteString.CopyFrom(payload), Rows = 1 }, cancellationToken);
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The agent refused mid-stream: its status is the call's answer.
        }
        catch (InvalidOperationException)
        {
            // Writing after the call completed (refused): the answer below says why.
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // The agent reset the stream or dropped the connection: the answer below says why.
        }

        return await call.ResponseAsync;
    }

    internal Task<PushReply> PushAsync(params ChangeBatch[] batches) => PushAsync(batches.Select(b => BatchCodec.Encode(b)));

    /// <summary>
    /// Synthetic batches of new append rows from origin <paramref name="origin"/>: <paramref name="count"/> batches of
    /// <paramref name="rows"/> readings each, ids from <paramref name="firstId"/>, sequence numbers contiguous.
    /// </summary>
    public static List<byte[]> AppendBatches(string origin, long firstId, int count, int rows)
    {
        var list = new List<byte[]>(count);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (int b = 0; b < count; b++)
        {
            long from = (long)b * rows;
            var clock = new CellClock(Hlc.From(now, b), origin, 0, Hlc.Zero, "");
            var changes = new List<RowChange>(rows);
            for (int i = 0; i < rows; i++)
            {
                long seq = from + i + 1;
                var c = clock with { Seq = seq };
                changes.Add(new RowChange([firstId + seq], RowState.Alive(1, [firstId + seq, "flood", now, 1.5], [c, c, c, c])));
            }

            var vector = VersionVector.From([new(origin, from + rows)]);
            list.Add(BatchCodec.Encode(new ChangeBatch(origin, vector, [new OriginRange(origin, from, from + rows)],
                [new TableChangeSet("readings", ["id", "device", "ts", "value"], ["id"], changes)])));
        }

        return list;
    }

    public void Dispose()
    {
        _channel.Dispose();
        Db.Dispose();
    }
}
