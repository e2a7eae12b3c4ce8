using EdgeSync.Clocks;
using EdgeSync.Protocol;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Fuzz;

/// <summary>
/// Valid batches to start mutating from, made the way peers make them: two scratch replicas write, update and delete
/// rows in every table (one relays the other's changes) and extract with <see cref="SyncDatabase.GetChanges(VersionVector, CancellationToken)"/>.
/// Deterministic for a seed (a stepping clock, seeded data). Also a few large batches, for the compressed path.
/// </summary>
public sealed class BatchCorpus : IDisposable
{
    private readonly string _dir;

    private BatchCorpus(string dir, IReadOnlyList<ChangeBatch> batches)
    {
        _dir = dir;
        Batches = batches;
        Encoded = batches.Select(b => BatchCodec.Encode(b)).ToList();
    }

    /// <summary>Site ids of the two source replicas (never the fuzzed replica's).</summary>
    public static readonly string[] Sources = ["fuzz-src/a", "fuzz-src/b"];

    /// <summary>The batches.</summary>
    public IReadOnlyList<ChangeBatch> Batches { get; }

    /// <summary>The batches, encoded.</summary>
    public IReadOnlyList<byte[]> Encoded { get; }

    /// <summary>Builds the corpus in a scratch directory under <paramref name="root"/>.</summary>
    public static BatchCorpus Create(int seed, string? root = null)
    {
        string dir = Path.Combine(root ?? Path.GetTempPath(), "edgesync-fuzz-corpus-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        var random = new Random(seed);
        var time = new SteppingTime(SteppingTime.Epoch);
        var batches = new List<ChangeBatch>();
        string pa = Path.Combine(dir, "a.db"), pb = Path.Combine(dir, "b.db");
        ScratchSchema.Create(pa);
        ScratchSchema.Create(pb);
        using (var a = ScratchSchema.Open(pa, Sources[0], time))
        using (var b = ScratchSchema.Open(pb, Sources[1], time))
        {
            Write(pa, random, idBase: 1_000, rows: 60);
            batches.AddRange(a.GetChanges(VersionVector.Empty));
            foreach (var batch in a.GetChanges(VersionVector.Empty))
            {
                b.Apply(batch);
            }

            Write(pb, random, idBase: 2_000, rows: 60);
            Mutate(pb, random);
            batches.AddRange(b.GetChanges(VersionVector.Empty)); // relayed and own changes, updates, deletes
            batches.AddRange(b.GetChanges(a.Vector));
            Write(pa, random, idBase: 5_000, rows: 1_500);
        }

        using (var big = ScratchSchema.Open(pa, Sources[0], time, maxBatchRows: 1_000))
        {
            batches.AddRange(big.GetChanges(VersionVector.Empty).Take(2));
        }

        return new BatchCorpus(dir, batches);
    }

    private static void Write(string path, Random random, int idBase, int rows)
    {
        using var c = ScratchSchema.OpenApp(path);
        using var tx = c.BeginTransaction();
        for (int i = 0; i < rows; i++)
        {
            long id = idBase + i;
            Exec(c, tx, "INSERT INTO readings(id, device, ts, value) VALUES ($1, $2, $3, $4)",
                id, "dev-" + random.Next(5), 1_700_000_000_000L + i, random.Next(3) == 0 ? null : random.NextDouble() * 100);
            if (i % 3 == 0)
            {
                Exec(c, tx, "INSERT OR REPLACE INTO settings(key, value, owner, version) VALUES ($1, $2, $3, $4)",
                    "k" + random.Next(40), "v" + random.Next(1000), random.Next(2) == 0 ? null : "owner-" + idBase, (long)i);
                Exec(c, tx, "INSERT OR REPLACE INTO items(tenant, code, name, qty) VALUES ($1, $2, $3, $4)",
                    "t" + random.Next(3), (long)random.Next(30), "n" + i, (long)random.Next(-5, 500));
                Exec(c, tx, "INSERT OR IGNORE INTO counters(id, a, b, c) VALUES ($1, $2, $3, $4)",
                    id, (long)random.Next(), "u-" + id, random.Next(2) == 0 ? null : new byte[] { (byte)i, 0, 255 });
            }
        }

        tx.Commit();
    }

    private static void Mutate(string path, Random random)
    {
        using var c = ScratchSchema.OpenApp(path);
        for (int i = 0; i < 10; i++)
        {
            Exec(c, null, "UPDATE settings SET value = $1 WHERE key = $2", "upd" + i, "k" + random.Next(40));
            Exec(c, null, "UPDATE items SET qty = qty + 1 WHERE tenant = $1", "t" + random.Next(3));
            Exec(c, null, "DELETE FROM counters WHERE id = (SELECT min(id) FROM counters)");
            Exec(c, null, "DELETE FROM settings WHERE key = $1", "k" + random.Next(40));
        }
    }

    private static void Exec(SqliteConnection c, SqliteTransaction? tx, string sql, params object?[] args)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        for (int i = 0; i < args.Length; i++)
        {
            cmd.Parameters.AddWithValue($"${i + 1}", args[i] ?? DBNull.Value);
        }

        cmd.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public void Dispose()
    {
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
