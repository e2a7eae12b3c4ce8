using Microsoft.Data.Sqlite;

namespace EdgeSync.Simulation;

/// <summary>One simulated replica: its database file, the engine while it is up, and an application connection.</summary>
public sealed class SimSite : IDisposable
{
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS readings(id INTEGER PRIMARY KEY, device TEXT NOT NULL, ts INTEGER NOT NULL, value REAL);
        CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT, owner TEXT, version INTEGER);
        CREATE TABLE IF NOT EXISTS items(tenant TEXT NOT NULL, code INTEGER NOT NULL, name TEXT, qty INTEGER, PRIMARY KEY(tenant, code)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS counters(id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c BLOB);
        """;

    private SqliteConnection? _app;

    public SimSite(string path, string site)
    {
        Path = path;
        Site = site;
        using (var c = Connect())
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode = WAL;" + Schema;
            cmd.ExecuteNonQuery();
        }

        Db = SyncDatabase.Open(path, new SyncDatabaseOptions { SiteId = site, AppendAuditInterval = TimeSpan.FromDays(1) });
        Db.EnableTable("readings", EdgeSync.Schema.TablePolicy.Append);
        Db.EnableTable("settings", EdgeSync.Schema.TablePolicy.Lww);
        Db.EnableTable("items", EdgeSync.Schema.TablePolicy.Lww);
        Db.EnableTable("counters", EdgeSync.Schema.TablePolicy.Lww);
    }

    public string Path { get; }

    public string Site { get; }

    /// <summary>The engine; null while the site is crashed.</summary>
    public SyncDatabase? Db { get; private set; }

    public bool Up => Db is not null;

    public SqliteConnection App => _app ??= Connect();

    private SqliteConnection Connect()
    {
        var c = new SqliteConnection($"Data Source={Path};Pooling=false;Default Timeout=30");
        c.Open();
        return c;
    }

    /// <summary>
    /// Kills the process: the engine and the app connection go away; only committed data survives. A killed engine
    /// never clears its writer mark, so the restarted one continues as a new incarnation (it cannot tell a kill from
    /// files put back to an earlier copy).
    /// </summary>
    public void Crash()
    {
        bool marked = Db is not null && Exec("UPDATE _edgesync_meta SET value = value WHERE key = 'writer_session'") == 1;
        Db?.Dispose();
        Db = null;
        if (marked)
        {
            Exec("INSERT OR REPLACE INTO _edgesync_meta(key, value) VALUES ('writer_session', 'killed')");
        }

        _app?.Dispose();
        _app = null;
    }

    /// <summary>The application's schema migrations, in order: two ADD COLUMNs made with plain SQL, and a rebuild of
    /// <c>items</c> (new table with one more column, copy, drop, rename) run through EdgeSync so no write is missed.</summary>
    public static readonly string[] Migrations =
    [
        "ALTER TABLE settings ADD COLUMN unit TEXT",
        "ALTER TABLE readings ADD COLUMN quality INTEGER NOT NULL DEFAULT 0",
        "CREATE TABLE items_new(tenant TEXT NOT NULL, code INTEGER NOT NULL, name TEXT, qty INTEGER, note TEXT DEFAULT 'none', PRIMARY KEY(tenant, code)) WITHOUT ROWID; "
            + "INSERT INTO items_new(tenant, code, name, qty) SELECT tenant, code, name, qty FROM items; DROP TABLE items; ALTER TABLE items_new RENAME TO items;",
    ];

    /// <summary>How many of <see cref="Migrations"/> this site's application has run.</summary>
    public int SchemaLevel { get; private set; }

    /// <summary>Runs the next migration (the rebuild only while the engine is up: it goes through <see cref="SyncDatabase.ApplyMigration"/>).</summary>
    public bool Upgrade()
    {
        if (SchemaLevel >= Migrations.Length || (SchemaLevel == 2 && Db is null))
        {
            return false;
        }

        if (SchemaLevel == 2)
        {
            Db!.ApplyMigration("items-note", Migrations[2]);
        }
        else
        {
            Exec(Migrations[SchemaLevel]);
        }

        SchemaLevel++;
        return true;
    }

    /// <summary>Every row of <paramref name="table"/>, every column, in key order: what the application reads.</summary>
    public string Dump(string table)
    {
        using var cmd = App.CreateCommand();
        cmd.CommandText = $"SELECT * FROM {table} ORDER BY 1, 2";
        using var r = cmd.ExecuteReader();
        var sb = new System.Text.StringBuilder();
        while (r.Read())
        {
            for (int i = 0; i < r.FieldCount; i++)
            {
                sb.Append(r.IsDBNull(i) ? "NULL" : r.GetValue(i) is byte[] b ? Convert.ToHexString(b) : Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)).Append('|');
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    public void Restart() => Db ??= SyncDatabase.Open(Path, new SyncDatabaseOptions { AppendAuditInterval = TimeSpan.FromDays(1) });

    public int Exec(string sql, params object?[] args)
    {
        using var cmd = App.CreateCommand();
        cmd.CommandText = sql;
        for (int i = 0; i < args.Length; i++)
        {
            cmd.Parameters.AddWithValue($"${i + 1}", args[i] ?? DBNull.Value);
        }

        return cmd.ExecuteNonQuery();
    }

    public List<long> Ids(string sql)
    {
        using var cmd = App.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var list = new List<long>();
        while (r.Read())
        {
            list.Add(r.GetInt64(0));
        }

        return list;
    }

    public void Dispose() => Crash();
}
