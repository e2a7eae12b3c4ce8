using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace EdgeSync.Cli.Demo;

/// <summary>
/// Writes rows through an agent's ingest API, as an application in the factory would:
/// <c>POST {http}/v1/tables/{table}/rows</c> with a JSON array; 200 means committed.
/// </summary>
internal sealed class IngestClient : IDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>A client that sends <c>Authorization: Bearer <paramref name="token"/></c> when one is given.</summary>
    public IngestClient(string? token = null)
    {
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    /// <summary>
    /// Posts the rows <paramref name="writeRows"/> writes (objects, inside the array). True when the agent committed
    /// them; false when it answered 503 (database busy, agent starting or stopping: nothing written, retry later).
    /// Any other answer is a bug in the demo or the agent and throws with the agent's problem details.
    /// </summary>
    public async Task<bool> PostAsync(string httpUrl, string table, Action<Utf8JsonWriter> writeRows, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writeRows(writer);
            writer.WriteEndArray();
        }

        using var content = new ReadOnlyMemoryContent(buffer.WrittenMemory);
        content.Headers.ContentType = Json;
        using var response = await _http.PostAsync(new Uri($"{httpUrl}/v1/tables/{table}/rows"), content, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return true;
        }

        if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
        {
            return false;
        }

        string problem = await response.Content.ReadAsStringAsync(cancellationToken);
        throw new HttpRequestException($"the agent at {httpUrl} refused rows for table '{table}' with {(int)response.StatusCode}: {problem}");
    }

    public void Dispose() => _http.Dispose();
}
