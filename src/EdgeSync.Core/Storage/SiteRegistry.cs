using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// Maps site ids (strings, global) to small local integers used in metadata rows. Index 0 is "no site".
/// Local indexes differ between replicas and never leave the database; merges compare the strings.
/// </summary>
internal sealed class SiteRegistry
{
    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal) { [""] = 0 };
    private readonly List<string> _byIndex = [""];

    public void Load(SqliteConnection connection)
    {
        foreach (var (idx, site) in ReadAll(connection))
        {
            Add(idx, site);
        }
    }

    /// <summary>Every registered site with its local index, in index order, as <paramref name="connection"/> sees them.</summary>
    public static List<(int Index, string Site)> ReadAll(SqliteConnection connection)
    {
        var sites = new List<(int, string)>();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT idx, site FROM _edgesync_sites ORDER BY idx";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            sites.Add(((int)r.GetInt64(0), r.GetString(1)));
        }

        return sites;
    }

    private void Add(int idx, string site)
    {
        while (_byIndex.Count <= idx)
        {
            _byIndex.Add("");
        }

        _byIndex[idx] = site;
        _byName[site] = idx;
    }

    public string NameOf(int idx) => idx >= 0 && idx < _byIndex.Count ? _byIndex[idx]
        : throw new InvalidDataException($"metadata refers to unknown site index {idx}");

    public bool TryGetIndex(string site, out int idx) => _byName.TryGetValue(site, out idx);

    /// <summary>Returns the index of <paramref name="site"/>, registering it inside the caller's transaction.</summary>
    public int GetOrAdd(SqliteConnection connection, string site)
    {
        if (_byName.TryGetValue(site, out int idx))
        {
            return idx;
        }

        using var cmd = connection.CreateCommand();
        cmd.CommandText = "INSERT INTO _edgesync_sites(site) VALUES ($s) RETURNING idx";
        cmd.Parameters.AddWithValue("$s", site);
        idx = (int)(long)cmd.ExecuteScalar()!;
        Add(idx, site);
        return idx;
    }

    /// <summary>Forgets sites registered by a transaction that rolled back.</summary>
    public void Reload(SqliteConnection connection)
    {
        _byName.Clear();
        _byName[""] = 0;
        _byIndex.Clear();
        _byIndex.Add("");
        Load(connection);
    }
}
