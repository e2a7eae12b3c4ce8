namespace EdgeSync.Simulation;

/// <summary>Random application writes of every kind the engine must capture, from one seeded RNG.</summary>
public sealed class FaultWorkload(Random rng)
{
    internal static readonly string[] Keys = ["mode", "speed", "limit", "owner", "color"];
    private readonly Dictionary<string, long> _next = new(StringComparer.Ordinal);

    /// <summary>Every append row any site committed and some site still holds: all must be on every site at the end.</summary>
    public HashSet<long> Readings { get; } = [];

    /// <summary>Every append row any site ever committed: no other may appear.</summary>
    public HashSet<long> Written { get; } = [];

    /// <summary>
    /// Files went back to an earlier state (a power cut, a restored backup, an empty volume) or a site left: an append
    /// row none of <paramref name="holders"/> has any more was lost with them, and is no longer required.
    /// </summary>
    public void ForgetLost(IEnumerable<SimSite> holders)
    {
        var held = new HashSet<long>();
        foreach (var s in holders)
        {
            held.UnionWith(s.Ids("SELECT id FROM readings"));
        }

        Readings.IntersectWith(held);
    }

    public void Write(SimSite s, int index)
    {
        switch (rng.Next(12))
        {
            case 0:
            case 1:
                long n = _next.GetValueOrDefault(s.Site) + 1;
                _next[s.Site] = n;
                long id = (index + 1) * 1_000_000L + n;
                if (s.SchemaLevel >= 2)
                {
                    s.Exec("INSERT INTO readings(id, device, ts, value, quality) VALUES ($1, $2, $3, $4, $5)", id, "dev-" + rng.Next(5), n, rng.NextDouble(), (long)rng.Next(1, 4));
                }
                else
                {
                    s.Exec("INSERT INTO readings(id, device, ts, value) VALUES ($1, $2, $3, $4)", id, "dev-" + rng.Next(5), n, rng.NextDouble());
                }

                Readings.Add(id);
                Written.Add(id);
                break;
            case 2:
                s.Exec("INSERT INTO settings(key, value, owner, version) VALUES ($1, $2, $3, 1) "
                    + "ON CONFLICT(key) DO UPDATE SET value = excluded.value, owner = excluded.owner, version = version + 1",
                    Keys[rng.Next(Keys.Length)], "v" + rng.Next(100), s.Site);
                break;
            case 3 when s.SchemaLevel >= 1 && rng.Next(2) == 0:
                s.Exec("UPDATE settings SET unit = $2 WHERE key = $1", Keys[rng.Next(Keys.Length)], "unit" + rng.Next(5));
                break;
            case 3:
                s.Exec("UPDATE settings SET value = $2 WHERE key = $1", Keys[rng.Next(Keys.Length)], "u" + rng.Next(100));
                break;
            case 4:
                s.Exec("INSERT OR REPLACE INTO settings(key, value, owner, version) VALUES ($1, $2, $3, 0)", Keys[rng.Next(Keys.Length)], "r" + rng.Next(9), s.Site);
                break;
            case 5:
                s.Exec("DELETE FROM settings WHERE key = $1", Keys[rng.Next(Keys.Length)]);
                break;
            case 6:
                s.Exec("INSERT OR REPLACE INTO items(tenant, code, name, qty) VALUES ($1, $2, $3, $4)",
                    "t" + rng.Next(2), (long)rng.Next(4), "n" + rng.Next(50), (long)rng.Next(10));
                break;
            case 7 when s.SchemaLevel >= 3 && rng.Next(2) == 0:
                s.Exec("UPDATE items SET note = $3 WHERE tenant = $1 AND code = $2", "t" + rng.Next(2), (long)rng.Next(4), "note" + rng.Next(9));
                break;
            case 7:
                s.Exec("UPDATE items SET qty = qty + 1 WHERE tenant = $1 AND code = $2", "t" + rng.Next(2), (long)rng.Next(4));
                break;
            case 8:
                s.Exec("DELETE FROM items WHERE tenant = $1 AND code = $2", "t" + rng.Next(2), (long)rng.Next(4));
                break;
            case 9:
                s.Exec("INSERT OR REPLACE INTO counters(id, a, b, c) VALUES ($1, $2, $3, $4)",
                    (long)rng.Next(1, 6), (long)rng.Next(100), rng.Next(3) == 0 ? null : "b" + rng.Next(9), new[] { (byte)rng.Next(256) });
                break;
            case 10:
                s.Exec("UPDATE counters SET a = coalesce(a, 0) + 1 WHERE id = $1", (long)rng.Next(1, 6));
                break;
            default:
                s.Exec("DELETE FROM counters WHERE id = $1", (long)rng.Next(1, 6));
                break;
        }
    }
}
