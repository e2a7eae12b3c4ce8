using System.Text.Json;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace EdgeSync.Agent.Tests.Support;

/// <summary>
/// Reads the export stream back as a consumer without EdgeSync would: every message in stream order, its headers,
/// and its JSON Lines body.
/// </summary>
public sealed record ExportReadback(IReadOnlyList<ExportReadback.Message> Messages)
{
    public sealed record Message(string Subject, ulong StreamSeq, IReadOnlyDictionary<string, string> Headers, IReadOnlyList<JsonElement> Rows);

    public int RowCount(string table) => Messages.Where(m => m.Headers["EdgeSync-Table"] == table).Sum(m => m.Rows.Count);

    /// <summary>How long one read-back may take: a consumer created while the stream's leader moves can wait for ever.</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Every message of <paramref name="stream"/>; <see cref="TimeoutException"/> when that takes over <see cref="ReadTimeout"/>.</summary>
    public static async Task<ExportReadback> ReadAsync(NatsCluster cluster, string stream)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(ReadTimeout);
        try
        {
            return await ReadCoreAsync(cluster, stream, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"reading stream '{stream}' back took over {ReadTimeout.TotalSeconds:0} s");
        }
    }

    private static async Task<ExportReadback> ReadCoreAsync(NatsCluster cluster, string stream, CancellationToken ct)
    {
        await using var nats = cluster.Connect();
        var js = new NatsJSContext(nats);
        var s = await js.GetStreamAsync(stream, cancellationToken: ct);
        ulong last = s.Info.State.LastSeq;
        var messages = new List<Message>();
        if (last == 0)
        {
            return new ExportReadback(messages);
        }

        var consumer = await js.CreateOrderedConsumerAsync(stream, cancellationToken: ct);
        await foreach (var msg in consumer.ConsumeAsync<byte[]>(cancellationToken: ct))
        {
            var headers = msg.Headers!.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.Ordinal);
            var rows = new List<JsonElement>();
            foreach (var line in System.Text.Encoding.UTF8.GetString(msg.Data ?? []).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                rows.Add(JsonDocument.Parse(line).RootElement.Clone());
            }

            ulong seq = msg.Metadata!.Value.Sequence.Stream;
            messages.Add(new Message(msg.Subject, seq, headers, rows));
            if (seq >= last)
            {
                break;
            }
        }

        return new ExportReadback(messages);
    }

    /// <summary>
    /// Asserts what a consumer relies on: per subject (table and origin), messages follow each other without gap or
    /// overlap (each starts where the previous ended) and rows ascend by sequence; and each row key of
    /// <paramref name="table"/> appears exactly once. Returns the keys seen.
    /// </summary>
    public HashSet<long> AssertExactlyOnceInOrder(string table, string keyColumn = "id")
    {
        var keys = new HashSet<long>();
        foreach (var subject in Messages.Where(m => m.Headers["EdgeSync-Table"] == table).GroupBy(m => m.Subject))
        {
            long to = -1;
            long lastSeq = 0;
            foreach (var m in subject)
            {
                long from = long.Parse(m.Headers["EdgeSync-Seq-From"], System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(to < 0 || from == to, $"{subject.Key}: message {m.StreamSeq} starts after {from}, the previous ended at {to}");
                to = long.Parse(m.Headers["EdgeSync-Seq-To"], System.Globalization.CultureInfo.InvariantCulture);
                foreach (var row in m.Rows)
                {
                    long seq = row.GetProperty("$seq").GetInt64();
                    Assert.True(seq > lastSeq && seq > from && seq <= to, $"{subject.Key}: row seq {seq} out of order (after {lastSeq}, in ({from}, {to}])");
                    lastSeq = seq;
                    long key = row.GetProperty(keyColumn).GetInt64();
                    Assert.True(keys.Add(key), $"{table} row {key} is in the stream twice");
                }
            }
        }

        return keys;
    }
}
