using System.Text.Json;
using EdgeSync.Agent;
using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Ingest;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeSync.Fuzz;

/// <summary>
/// Ingest parsing and validation through the code path the HTTP and gRPC endpoints share: <see cref="JsonDocument"/>
/// parsing (a <see cref="JsonException"/> is the endpoints' 400), then <see cref="IngestProcessor.Ingest"/> on a
/// hosted scratch database. Invariants: no exception escapes (it would be a 500); a refusal is 400 / 404 / 409 / 503
/// with a title, problems or detail, and the database file is exactly as before; an accepted request reports every row.
/// </summary>
public sealed class IngestTarget : FuzzTarget
{
    /// <summary>Most rows per request in the fuzzed agent (small, so "too many rows" is reachable).</summary>
    public const int MaxIngestRows = 50;

    /// <summary>Inputs between resets of the database (it only grows otherwise).</summary>
    public const int ResetEvery = 256;

    private readonly string _dir;
    private readonly DatabaseRegistry _registry = new(new EdgeSync.Agent.Diagnostics.AgentMetrics());
    private string _path = "";
    private HostedDatabase? _hosted;
    private int _generation;
    private int _sinceReset;

    /// <summary>Creates the target with its own scratch database.</summary>
    public IngestTarget()
    {
        _dir = Path.Combine(Path.GetTempPath(), "edgesync-fuzz-ingest-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(_dir);
        Reset();
    }

    private void Reset()
    {
        _registry.Set([]);
        _hosted?.Dispose();
        _path = Path.Combine(_dir, $"app{++_generation}", "app.db");
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        ScratchSchema.Create(_path);
        var options = new AgentOptions
        {
            Databases = [_path],
            Site = "fuzz-ingest/0",
            MaxIngestRows = MaxIngestRows,
            Tables = ScratchSchema.Tables.ToDictionary(t => t.Table, t => new TableSyncOptions { Policy = t.Policy }),
        };
        _hosted = HostedDatabase.Open(_path, options, NullLoggerFactory.Instance, TimeProvider.System, _registry.Metrics);
        _registry.Set([_hosted]);
        _sinceReset = 0;
    }

    /// <inheritdoc />
    public override string Name => "ingest";

    /// <inheritdoc />
    public override byte[] Generate(Random random) => IngestJson.Generate(random, MaxIngestRows);

    /// <inheritdoc />
    public override FuzzOutcome Execute(byte[] input)
    {
        if (++_sinceReset >= ResetEvery)
        {
            Reset();
        }

        var (table, body) = IngestJson.Split(input);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return FuzzOutcome.Refused;
        }

        using (document)
        {
            string before = StateFingerprint.Of(_path);
            IngestOutcome outcome;
            try
            {
                outcome = IngestProcessor.Ingest(_registry, null, table, document.RootElement, NullLogger.Instance);
            }
            catch (Exception e)
            {
                bool unchanged = StateFingerprint.Of(_path) == before;
                throw new FuzzViolation($"ingest threw {e.GetType().Name} (the endpoint would answer 500; database {(unchanged ? "unchanged" : "CHANGED")})", e);
            }

            if (outcome.Ok)
            {
                int sent = document.RootElement.GetArrayLength();
                return outcome.Rows == sent ? FuzzOutcome.Accepted
                    : throw new FuzzViolation($"ingest accepted {outcome.Rows} of {sent} rows");
            }

            if (outcome.Status is not (400 or 404 or 409 or 503) || string.IsNullOrEmpty(outcome.Title) || (outcome.Problems is null && outcome.Detail is null && outcome.Status != 503))
            {
                throw new FuzzViolation($"ingest refused with an unclear outcome: {outcome}");
            }

            if (StateFingerprint.Of(_path) != before)
            {
                throw new FuzzViolation($"ingest was refused ({outcome.Status} {outcome.Title}) but the database changed");
            }

            return FuzzOutcome.Refused;
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing)
        {
            return;
        }

        _registry.Set([]);
        _hosted?.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
