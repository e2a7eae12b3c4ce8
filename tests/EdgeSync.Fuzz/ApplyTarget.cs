using EdgeSync.Errors;
using EdgeSync.Protocol;

namespace EdgeSync.Fuzz;

/// <summary>
/// Decode + <see cref="SyncDatabase.Apply"/> into a scratch replica that holds rows of its own. Inputs: corpus batches,
/// structurally mutated (<see cref="BatchMutator"/>) and then sometimes byte-mutated. Invariants: decoding refuses only
/// with <see cref="InvalidBatchException"/>; apply refuses only with <see cref="InvalidBatchException"/> or
/// <see cref="SyncStateException"/>, and then the whole database file (user tables and every metadata table) is
/// exactly as before — no partial apply; an accepted batch applied again changes nothing (idempotent). The replica
/// is reset from a template every <see cref="ResetEvery"/> inputs; a replay runs on a fresh copy.
/// </summary>
public sealed class ApplyTarget : FuzzTarget
{
    /// <summary>The fuzzed replica's site id.</summary>
    public const string Site = "fuzz-target/0";

    /// <summary>Inputs between resets of the replica.</summary>
    public const int ResetEvery = 64;

    private readonly BatchCorpus _corpus;
    private readonly bool _ownsCorpus;
    private readonly string _dir;
    private readonly string _template;
    private readonly string _path;
    private readonly SteppingTime _time = new(SteppingTime.Epoch);
    private SyncDatabase? _db;
    private int _sinceReset;

    /// <summary>Creates the target over <paramref name="corpus"/> (built for <paramref name="seed"/> when null).</summary>
    public ApplyTarget(int seed, BatchCorpus? corpus = null)
    {
        _ownsCorpus = corpus is null;
        _corpus = corpus ?? BatchCorpus.Create(seed);
        _dir = Path.Combine(Path.GetTempPath(), "edgesync-fuzz-apply-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(_dir);
        _template = Path.Combine(_dir, "template.db");
        _path = Path.Combine(_dir, "replica.db");
        ScratchSchema.Create(_template);
        using (var db = ScratchSchema.Open(_template, Site, _time))
        {
            using var c = ScratchSchema.OpenApp(_template);
            for (int i = 0; i < 20; i++)
            {
                ScratchSchema.Exec(c, "INSERT INTO readings(id, device, ts, value) VALUES ($1, 'local', $2, 1.5)", 1_000L + i * 7, (long)i);
                ScratchSchema.Exec(c, "INSERT OR REPLACE INTO settings(key, value, owner) VALUES ($1, 'local', 'me')", "k" + i);
                ScratchSchema.Exec(c, "INSERT OR REPLACE INTO items(tenant, code, name, qty) VALUES ('t1', $1, 'local', 1)", (long)i);
                ScratchSchema.Exec(c, "INSERT INTO counters(id, a, b) VALUES ($1, 1, $2)", 900L + i, "u-" + (1_000 + i * 3));
            }

            db.Capture();
        }
    }

    /// <inheritdoc />
    public override string Name => "apply";

    /// <inheritdoc />
    public override byte[] Generate(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var batches = _corpus.Batches;
        var batch = batches[random.Next(batches.Count)];
        int mode = random.Next(10);
        if (mode == 0)
        {
            return _corpus.Encoded[batches.Count == 0 ? 0 : random.Next(batches.Count)];
        }

        var mutated = BatchMutator.Mutate(batch, random, _time);
        byte[] encoded = BatchCodec.Encode(mutated);
        return mode <= 2 ? Envelope.MutateInside(encoded, random, _corpus.Encoded[random.Next(batches.Count)]) : encoded;
    }

    /// <inheritdoc />
    public override FuzzOutcome Execute(byte[] input)
    {
        ChangeBatch batch;
        try
        {
            batch = BatchCodec.Decode(input, DecodeTarget.SmallLimits);
        }
        catch (InvalidBatchException)
        {
            return FuzzOutcome.Refused;
        }

        var db = Replica();
        string before = StateFingerprint.Of(_path);
        var vectorBefore = db.Vector.ToString();
        try
        {
            db.Apply(batch, "fuzz-peer");
        }
        catch (Exception e) when (e is InvalidBatchException or SyncStateException)
        {
            if (StateFingerprint.Of(_path) != before || db.Vector.ToString() != vectorBefore)
            {
                throw new FuzzViolation($"apply was refused ({e.GetType().Name}: {e.Message}) but the database changed: a partial apply");
            }

            return FuzzOutcome.Refused;
        }
        catch (Exception e) when (e is not FuzzViolation)
        {
            bool unchanged = StateFingerprint.Of(_path) == before;
            throw new FuzzViolation($"apply threw an undocumented {e.GetType().Name} (database {(unchanged ? "unchanged" : "CHANGED")})", e);
        }

        string checksum = db.Checksum();
        var vector = db.Vector.ToString();
        try
        {
            db.Apply(batch, "fuzz-peer");
        }
        catch (Exception e)
        {
            throw new FuzzViolation("an accepted batch was refused when applied a second time", e);
        }

        if (db.Checksum() != checksum || db.Vector.ToString() != vector)
        {
            throw new FuzzViolation("applying an accepted batch a second time changed the database (not idempotent)");
        }

        return FuzzOutcome.Accepted;
    }

    private SyncDatabase Replica()
    {
        if (_db is not null && ++_sinceReset < ResetEvery)
        {
            return _db;
        }

        _db?.Dispose();
        _db = null;
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(_path + suffix);
        }

        File.Copy(_template, _path);
        _sinceReset = 0;
        _db = SyncDatabase.Open(_path, new SyncDatabaseOptions { SiteId = Site, Time = _time });
        return _db;
    }

    /// <summary>Starts the next input on a fresh copy of the replica (replays do).</summary>
    public void Reset() => _sinceReset = ResetEvery;

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing)
        {
            return;
        }

        _db?.Dispose();
        if (_ownsCorpus)
        {
            _corpus.Dispose();
        }

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
