using CsCheck;
using EdgeSync.Agent;
using EdgeSync.Agent.Sync;
using EdgeSync.Schema;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Tests.SchemaEvolution;

/// <summary>
/// Replicas at different schema versions merging rows (issue 13): three replicas write, delete and sync in a random
/// order while each adds a column at a random moment (writing it as soon as it has it). Once every replica has the
/// column and a few rounds have run, every column of every row is the same on all three, whatever the order. Replicas
/// also rebuild the table with plain SQL (SQLite's create-copy-drop-rename procedure) at random moments, and the writes
/// that follow a rebuild before the replica's next capture (when the table has no capture triggers) must sync too.
/// </summary>
public sealed class MixedVersionPropertyTests
{
    private const int Replicas = 3;

    /// <summary>kind: 0 upsert, 1 update a, 2 delete, 3 add column c, 4 set c, 5 pull from the next replica, 6 rebuild the table.</summary>
    private readonly record struct Op(int Replica, int Kind, int Key, int Value);

    private static readonly Gen<Op> GenOp = Gen.Select(Gen.Int[0, Replicas - 1], Gen.Int[0, 6], Gen.Int[0, 4], Gen.Int[0, 99],
        (r, k, key, v) => new Op(r, k, key, v));

    [Fact]
    public void RandomWritesAndSyncs_WhileReplicasAddAColumnAndRebuildTheTableAtDifferentTimes_ConvergeOnEveryColumn() =>
        GenOp.List[5, 40].Sample(ops => Run(ops), iter: 40, threads: 1);

    private static bool Run(List<Op> ops)
    {
        using var dir = new TempDir();
        var nodes = Enumerable.Range(0, Replicas).Select(i => new Node(dir.Db($"r{i}"), $"f/r{i}")).ToArray();
        try
        {
            foreach (var op in ops)
            {
                var n = nodes[op.Replica];
                switch (op.Kind)
                {
                    case 0:
                        n.Exec($"INSERT INTO kv(k, a, b) VALUES ('k{op.Key}', 'a{op.Value}', {op.Value}) ON CONFLICT(k) DO UPDATE SET a = excluded.a, b = excluded.b");
                        break;
                    case 1:
                        n.Exec($"UPDATE kv SET a = 'u{op.Value}@{op.Replica}' WHERE k = 'k{op.Key}'");
                        break;
                    case 2:
                        n.Exec($"DELETE FROM kv WHERE k = 'k{op.Key}'");
                        break;
                    case 3:
                        n.AddColumn();
                        break;
                    case 4 when n.HasColumn:
                        n.Exec($"UPDATE kv SET c = {op.Value + 1000} WHERE k = 'k{op.Key}'");
                        break;
                    case 5:
                        n.PullFrom(nodes[(op.Replica + 1) % Replicas]);
                        break;
                    case 6:
                        n.Rebuild();
                        break;
                }
            }

            foreach (var n in nodes)
            {
                n.AddColumn();
            }

            for (int round = 0; round < 2; round++)
            {
                for (int i = 0; i < Replicas; i++)
                {
                    for (int j = 0; j < Replicas; j++)
                    {
                        if (i != j)
                        {
                            nodes[i].PullFrom(nodes[j]);
                        }
                    }
                }
            }

            var first = nodes[0].Dump();
            for (int i = 1; i < Replicas; i++)
            {
                var other = nodes[i].Dump();
                if (other != first)
                {
                    TestContext.Current.TestOutputHelper?.WriteLine($"r0:\n{first}\nr{i}:\n{other}\nops: {string.Join(" ", ops)}");
                    return false;
                }
            }

            return true;
        }
        finally
        {
            foreach (var n in nodes)
            {
                n.Dispose();
            }
        }
    }

    private sealed class Node : IDisposable
    {
        private readonly SqliteConnection _app;

        public Node(string path, string site)
        {
            Site = site;
            _app = new SqliteConnection($"Data Source={path};Pooling=false");
            _app.Open();
            Exec("PRAGMA journal_mode = WAL; CREATE TABLE kv(k TEXT PRIMARY KEY, a TEXT, b INTEGER);");
            Db = SyncDatabase.Open(path, new SyncDatabaseOptions { SiteId = site });
            Db.EnableTable("kv", TablePolicy.Lww);
        }

        public string Site { get; }

        public SyncDatabase Db { get; }

        public bool HasColumn { get; private set; }

        public void Exec(string sql)
        {
            using var cmd = _app.CreateCommand();
            cmd.CommandText = sql;
            cmd.ExecuteNonQuery();
        }

        public void AddColumn()
        {
            if (!HasColumn)
            {
                Exec("ALTER TABLE kv ADD COLUMN c INTEGER NOT NULL DEFAULT 7");
                HasColumn = true;
            }
        }

        /// <summary>The rebuild migration as an application runs it, outside EdgeSync: the capture triggers go with the old table.</summary>
        public void Rebuild()
        {
            var c = HasColumn ? ", c INTEGER NOT NULL DEFAULT 7" : "";
            var cols = HasColumn ? "k, a, b, c" : "k, a, b";
            Exec($"BEGIN; CREATE TABLE kv_new(k TEXT PRIMARY KEY, a TEXT, b INTEGER{c}); INSERT INTO kv_new({cols}) SELECT {cols} FROM kv; "
                + "DROP TABLE kv; ALTER TABLE kv_new RENAME TO kv; COMMIT;");
        }

        public void PullFrom(Node from)
        {
            from.Db.Capture(TestContext.Current.CancellationToken);
            var inbound = new Inbound(new SyncEndpoint(Db), from.Site, AgentRole.Peer);
            new Outbound(new SyncEndpoint(from.Db), Site, AgentRole.Peer).Send(Db.Vector, b => inbound.Receive(b.Payload), TestContext.Current.CancellationToken);
        }

        public string Dump()
        {
            using var cmd = _app.CreateCommand();
            cmd.CommandText = "SELECT k, a, b, c FROM kv ORDER BY k";
            using var r = cmd.ExecuteReader();
            var lines = new List<string>();
            while (r.Read())
            {
                lines.Add(string.Join("|", Enumerable.Range(0, 4).Select(i => r.IsDBNull(i) ? "NULL" : Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
            }

            return string.Join("\n", lines);
        }

        public void Dispose()
        {
            Db.Dispose();
            _app.Dispose();
        }
    }
}
