using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace EdgeSync.Fault.Tests.Support;

/// <summary>
/// A device writing telemetry through one agent's ingest API (<c>POST /v1/tables/telemetry/rows</c>) in a loop:
/// every batch gets fresh ids from this writer's own range, and only a 200 (committed) counts as acknowledged. A
/// failed or cut request is never retried with the same ids, so "acknowledged" is exactly what a client was promised.
/// </summary>
public sealed class IngestWriter : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _client;
    private readonly Uri _rows;
    private readonly int _batchRows;
    private readonly TimeSpan _pause;
    private readonly List<long> _acked = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Random _random;
    private long _nextId;
    private BigBatch? _bigBatch;
    private int _failed;
    private Task _loop = Task.CompletedTask;

    /// <param name="client">Reaches the agent (inside its namespace).</param>
    /// <param name="http">The agent's HTTP base URL, e.g. http://127.0.0.1:8080.</param>
    public IngestWriter(string device, HttpClient client, string http, long firstId, int batchRows, TimeSpan pause, int seed)
    {
        Device = device;
        _client = client;
        _rows = new Uri(http.TrimEnd('/') + "/v1/tables/telemetry/rows");
        _nextId = firstId;
        FirstId = firstId;
        _batchRows = batchRows;
        _pause = pause;
        _random = new Random(seed);
    }

    public string Device { get; }

    public long FirstId { get; }

    /// <summary>Requests that did not come back 200 (refused, cut, timed out, 5xx): their rows may or may not exist.</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Ids of every row the agent acknowledged with 200.</summary>
    public IReadOnlyList<long> Acked
    {
        get
        {
            lock (_acked)
            {
                return [.. _acked];
            }
        }
    }

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    /// <summary>
    /// Makes the next request a big batch of <paramref name="rows"/> rows. <c>Started</c> completes when it has been
    /// sent (so a caller can kill the agent while it parses and commits it), <c>Acknowledged</c> with its outcome.
    /// </summary>
    public (Task Started, Task<bool> Acknowledged) SendBigBatch(int rows)
    {
        var big = new BigBatch(rows, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously),
            new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (Interlocked.Exchange(ref _bigBatch, big) is { } replaced)
        {
            replaced.Started.TrySetCanceled();
            replaced.Acknowledged.TrySetCanceled();
        }

        return (big.Started.Task, big.Acknowledged.Task);
    }

    /// <summary>Stops after the request in flight has its answer (bounded by the client's timeout).</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var big = Interlocked.Exchange(ref _bigBatch, null);
            int rows = big?.Rows ?? _batchRows;
            long first = _nextId;
            _nextId += rows;
            var batch = new TelemetryRow[rows];
            for (int i = 0; i < rows; i++)
            {
                batch[i] = new TelemetryRow(first + i, Device, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Math.Round(_random.NextDouble() * 100, 3));
            }

            bool ok;
            try
            {
                // Not cancelled by stop: the answer to a request already sent decides whether its rows were acknowledged.
                var post = _client.PostAsJsonAsync(_rows, batch, Json, CancellationToken.None);
                big?.Started.TrySetResult();
                using var response = await post;
                ok = response.StatusCode == HttpStatusCode.OK;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                ok = false;
            }

            if (ok)
            {
                lock (_acked)
                {
                    for (int i = 0; i < rows; i++)
                    {
                        _acked.Add(first + i);
                    }
                }
            }
            else
            {
                Interlocked.Increment(ref _failed);
            }

            big?.Acknowledged.TrySetResult(ok);

            try
            {
                await Task.Delay(ok ? _pause : _pause * 4, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private sealed record BigBatch(int Rows, TaskCompletionSource Started, TaskCompletionSource<bool> Acknowledged);

    private sealed record TelemetryRow(long Id, string Device, long Ts, double Value);
}
