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
    private readonly SyncDatabaseOptions _options;
    private int _snapshotLevel;
    private int _backupLevel;

    /// <summary>Creates the application's schema in a new file and opens the engine on it, enabling every table.</summary>
    public SimSite(string path, string site, SimClock clock)
        : this(path, site, clock, existing: false)
    {
    }

    private SimSite(string path, string site, SimClock clock, bool existing)
    {
        Path = path;
        Site = site;
        Clock = clock;
        _options = new SyncDatabaseOptions
        {
            AppendAuditInterval = TimeSpan.FromDays(1), Time = clock,
            MayOriginate = (s, table, origin) => MayOriginate?.Invoke(s, table, origin) ?? true,
        };
        if (existing)
        {
            return;
        }

        using (var c = Connect())
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode = WAL;" + Schema;
            cmd.ExecuteNonQuery();
        }

        Db = SyncDatabase.Open(path, _options with { SiteId = site });
        Db.EnableTable("readings", EdgeSync.Schema.TablePolicy.Append);
        Db.EnableTable("settings", EdgeSync.Schema.TablePolicy.Lww);
        Db.EnableTable("items", EdgeSync.Schema.TablePolicy.Lww);
        Db.EnableTable("counters", EdgeSync.Schema.TablePolicy.Lww);
    }

    /// <summary>A site over a file already made (a clone restored from a backup); down until <see cref="Restart"/>.</summary>
    public static SimSite FromFile(string path, string site, SimClock clock, int schemaLevel) =>
        new(path, site, clock, existing: true) { SchemaLevel = schemaLevel };

    public SimClock Clock { get; }

    public string Path { get; }

    public string Site { get; }

    /// <summary>
    /// What its topology lets this replica originate (<see cref="SyncDatabaseOptions.MayOriginate"/>), read whenever the
    /// engine asks, so a role set after the site was made and a configuration changed later both count. Null: everything.
    /// </summary>
    public OriginatePredicate? MayOriginate { get; set; }

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

    public void Restart() => Db ??= SyncDatabase.Open(Path, _options);

    /// <summary>
    /// Copies the database file and its WAL as they are now (no checkpoint, no lock): what a power cut that loses the
    /// WAL's tail, or a disk snapshot, leaves behind once put back with <see cref="PutBack"/>.
    /// </summary>
    public void Snapshot()
    {
        _snapshotLevel = SchemaLevel;
        File.Copy(Path, Path + ".snap", overwrite: true);
        if (File.Exists(Path + "-wal"))
        {
            File.Copy(Path + "-wal", Path + ".snap-wal", overwrite: true);
        }
        else
        {
            File.Delete(Path + ".snap-wal");
        }
    }

    public bool HasSnapshot => File.Exists(Path + ".snap");

    /// <summary>The power goes off: the process dies and the files are back at the last <see cref="Snapshot"/>.</summary>
    public void PutBack()
    {
        Crash();
        File.Copy(Path + ".snap", Path, overwrite: true);
        if (File.Exists(Path + ".snap-wal"))
        {
            File.Copy(Path + ".snap-wal", Path + "-wal", overwrite: true);
        }
        else
        {
            File.Delete(Path + "-wal");
        }

        File.Delete(Path + "-shm");
        SchemaLevel = _snapshotLevel; // the application's migrations after the copy are gone with it
    }

    /// <summary>The volume is replaced by an empty one: the process dies, every file is gone, and the application
    /// makes its schema again (at the level it had reached) before the engine starts on it under the same site id.</summary>
    public void ReplaceWithEmptyVolume()
    {
        Crash();
        foreach (var f in new[] { Path, Path + "-wal", Path + "-shm", Path + ".snap", Path + ".snap-wal", Path + ".bak" })
        {
            File.Delete(f);
        }

        using (var c = Connect())
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode = WAL;" + Schema + string.Concat(Migrations.Take(SchemaLevel).Select(m => m + ";"));
            cmd.ExecuteNonQuery();
        }

        Db = SyncDatabase.Open(Path, _options with { SiteId = Site });
        Db.EnableTable("readings", EdgeSync.Schema.TablePolicy.Append);
        Db.EnableTable("settings", EdgeSync.Schema.TablePolicy.Lww);
        Db.EnableTable("items", EdgeSync.Schema.TablePolicy.Lww);
        Db.EnableTable("counters", EdgeSync.Schema.TablePolicy.Lww);
    }

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

    /// <summary>An online backup through the engine (<c>edgesync backup</c>), kept beside the database.</summary>
    public void Backup()
    {
        Db!.Backup(Path + ".bak");
        _backupLevel = SchemaLevel;
    }

    public bool HasBackup => File.Exists(Path + ".bak");

    /// <summary>The replica is lost and restored from its backup (<c>edgesync restore</c>); down until <see cref="Restart"/>.</summary>
    public void RestoreBackup()
    {
        Crash();
        EdgeSync.Backup.DatabaseBackup.Restore(Path + ".bak", Path, replace: true);
        SchemaLevel = _backupLevel;
    }

    public void Dispose() => Crash();
}
