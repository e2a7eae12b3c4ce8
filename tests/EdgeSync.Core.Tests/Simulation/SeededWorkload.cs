using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Simulation;

/// <summary>Random application writes of every kind the engine must capture, drawn from one seeded RNG.</summary>
internal sealed class SeededWorkload
{
    private static readonly string[] Keys = ["mode", "speed", "limit", "owner", "color"];
    private readonly Random _rng;
    private readonly Dictionary<string, long> _nextReading = [];

    public SeededWorkload(Random rng) => _rng = rng;

    /// <summary>Append rows each replica inserted (they must all survive everywhere).</summary>
    public HashSet<long> Readings { get; } = [];

    public void Write(Replica r, int replicaIndex)
    {
        switch (_rng.Next(12))
        {
            case 0:
            case 1:
                {
                    long n = _nextReading.GetValueOrDefault(r.Site) + 1;
                    _nextReading[r.Site] = n;
                    long id = (replicaIndex + 1) * 1_000_000L + n;
                    r.Exec("INSERT INTO readings(id, device, ts, value) VALUES ($1, $2, $3, $4)", id, "dev-" + _rng.Next(5), n, _rng.NextDouble());
                    Readings.Add(id);
                    break;
                }

            case 2:
                r.Exec("INSERT INTO settings(key, value, owner, version) VALUES ($1, $2, $3, 1) "
                    + "ON CONFLICT(key) DO UPDATE SET value = excluded.value, owner = excluded.owner, version = version + 1",
                    Pick(Keys), "v" + _rng.Next(100), r.Site);
                break;
            case 3:
                r.Exec("UPDATE settings SET value = $2 WHERE key = $1", Pick(Keys), "u" + _rng.Next(100));
                break;
            case 4:
                r.Exec("UPDATE settings SET version = coalesce(version, 0) + 10 WHERE key = $1", Pick(Keys));
                break;
            case 5:
                r.Exec("DELETE FROM settings WHERE key = $1", Pick(Keys));
                break;
            case 6:
                r.Exec("INSERT OR REPLACE INTO items(tenant, code, name, qty) VALUES ($1, $2, $3, $4)",
                    "t" + _rng.Next(2), (long)_rng.Next(4), "n" + _rng.Next(50), (long)_rng.Next(10));
                break;
            case 7:
                r.Exec("UPDATE items SET qty = qty + 1 WHERE tenant = $1 AND code = $2", "t" + _rng.Next(2), (long)_rng.Next(4));
                break;
            case 8:
                r.Exec("DELETE FROM items WHERE tenant = $1 AND code = $2", "t" + _rng.Next(2), (long)_rng.Next(4));
                break;
            case 9:
                r.Exec("INSERT OR REPLACE INTO counters(id, a, b, c) VALUES ($1, $2, $3, $4)",
                    (long)_rng.Next(1, 6), (long)_rng.Next(100), _rng.Next(3) == 0 ? null : "b" + _rng.Next(9), new[] { (byte)_rng.Next(256) });
                break;
            case 10:
                r.Exec("UPDATE counters SET a = coalesce(a, 0) + 1 WHERE id = $1", (long)_rng.Next(1, 6));
                break;
            default:
                r.Exec("DELETE FROM counters WHERE id = $1", (long)_rng.Next(1, 6));
                break;
        }
    }

    private string Pick(string[] options) => options[_rng.Next(options.Length)];
}
