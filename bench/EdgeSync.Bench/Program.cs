using Microsoft.Data.Sqlite;
using System.Diagnostics;

static double Run(string trig)
{
    var path = Path.Combine(Path.GetTempPath(), $"probe-{Guid.NewGuid():N}.db");
    using var c = new SqliteConnection($"Data Source={path};Pooling=false");
    c.Open();
    using (var p = c.CreateCommand()) { p.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE t(id INTEGER PRIMARY KEY, device TEXT, ts INTEGER, value REAL); CREATE TABLE hw(k INTEGER PRIMARY KEY, v INTEGER); INSERT INTO hw VALUES(1, 0); CREATE TABLE lg(id INTEGER PRIMARY KEY, tid INTEGER, op INTEGER, mask INTEGER, k0, k1, k2, k3);" + trig; p.ExecuteNonQuery(); }
    using var ins = c.CreateCommand();
    ins.CommandText = "INSERT INTO t(id, device, ts, value) VALUES ($id, $d, $ts, $v)";
    var pid = ins.Parameters.Add("$id", SqliteType.Integer); var pd = ins.Parameters.Add("$d", SqliteType.Text);
    var pts = ins.Parameters.Add("$ts", SqliteType.Integer); var pv = ins.Parameters.Add("$v", SqliteType.Real);
    ins.Prepare();
    var sw = Stopwatch.StartNew();
    for (int b = 0; b < 100; b++)
    {
        using var tx = c.BeginTransaction(); ins.Transaction = tx;
        for (int i = 0; i < 10000; i++) { long id = b * 10000L + i + 1; pid.Value = id; pd.Value = "dev-" + (id % 100); pts.Value = id * 1000; pv.Value = id * 0.5; ins.ExecuteNonQuery(); }
        tx.Commit();
    }
    var r = 1_000_000 / sw.Elapsed.TotalSeconds;
    c.Close(); File.Delete(path); File.Delete(path + "-wal"); File.Delete(path + "-shm");
    return r;
}
string[] trigs = {
 "",
 "CREATE TRIGGER a AFTER INSERT ON t WHEN NEW.id < 5 BEGIN INSERT INTO lg(tid,op,mask,k0) VALUES(1,1,-1,NEW.id); END;",
 "CREATE TRIGGER a BEFORE UPDATE ON t BEGIN SELECT RAISE(ABORT, 'x'); END; CREATE TRIGGER b BEFORE DELETE ON t BEGIN SELECT RAISE(ABORT, 'x'); END;",
};
for (int round = 0; round < 3; round++)
  foreach (var t in trigs) { Console.WriteLine($"{round} {Run(t):F0} {t[..Math.Min(60, t.Length)]}"); }
