using Microsoft.Data.Sqlite;

namespace EdgeSync.Bench.Internal;

/// <summary>
/// A read-only connection to a replica's file, as a second process would have: what is committed there, and a cheap
/// fingerprint of the workload table's contents for comparing two replicas.
/// </summary>
internal sealed class ReplicaReader : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _maxId;

    public ReplicaReader(string path)
    {
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        _connection.Open();
        _maxId = _connection.CreateCommand();
        _maxId.CommandText = "SELECT ifnull(max(id), 0) FROM t";
        _maxId.Prepare();
    }

    /// <summary>The highest id committed (an index lookup, cheap at any size).</summary>
    public long MaxId() => (long)_maxId.ExecuteScalar()!;

    public long Count() => Workload.Scalar(_connection, "SELECT count(*) FROM t");

    /// <summary>count, sums of id and ts, total of value, total length of device: equal for equal contents of <c>t</c> (one scan).</summary>
    public string Fingerprint()
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT count(*), ifnull(sum(id), 0), ifnull(sum(ts), 0), total(value), total(length(device)) FROM t";
        using var r = cmd.ExecuteReader();
        r.Read();
        return FormattableString.Invariant($"{r.GetInt64(0)}/{r.GetInt64(1)}/{r.GetInt64(2)}/{r.GetDouble(3):R}/{r.GetDouble(4):R}");
    }

    public void Dispose()
    {
        _maxId.Dispose();
        _connection.Dispose();
    }
}
