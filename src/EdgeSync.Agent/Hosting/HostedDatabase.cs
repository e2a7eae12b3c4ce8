using EdgeSync.Agent.Diagnostics;
using EdgeSync.Agent.Sync;
using EdgeSync.Clocks;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Hosting;

/// <summary>
/// One database the agent hosts: the engine, its configured tables and directions, the peer board and the change
/// signal its loops and watch streams wait on. Known to peers by <see cref="Name"/> (file name without extension).
/// </summary>
internal sealed class HostedDatabase : IDisposable
{
    private int _captureRequested;
    private Action? _captureWake;
    private long _commitsSeen;

    private HostedDatabase(string name, SyncDatabase db, AgentOptions options, TimeProvider time, AgentMetrics metrics, ChangeFeed? feed, ILogger logger)
    {
        Name = name;
        Db = db;
        Options = options;
        Role = options.EffectiveRole;
        Metrics = metrics;
        Board = new PeerBoard(name, db.SiteId, TryVector, time);
        Changed = new ChangeSignal(() => metrics.SignalCoalesced(Board.Tags), feed is null ? null : () => feed.Changed(this));
        metrics.Register(Board);
        Endpoint = new SyncEndpoint(db)
        {
            Role = Role, DirectionOf = DirectionOf, Metrics = metrics, Board = Board, Changed = Changed, ProtocolVersion = options.ProtocolVersion,
            Reclaimed = (peer, batch, result) =>
            {
                metrics.LineageReclaimed(batch.RowCount, Board.TagsFor(peer));
                Internal.Log.LineageReclaimed(logger, name, peer, batch.RowCount,
                    string.Join(", ", batch.Ranges.Select(r => $"{r.Site} ({r.From}, {r.To}]")), result.Applied);
            },
            Reoffered = (peer, rows) => Internal.Log.ReofferCompleted(logger, name, peer, rows),
        };
    }

    public string Name { get; }

    public SyncDatabase Db { get; }

    public AgentOptions Options { get; }

    public AgentRole Role { get; }

    public PeerBoard Board { get; }

    public ChangeSignal Changed { get; }

    /// <summary>The agent's instruments (shared by every database it hosts).</summary>
    public AgentMetrics Metrics { get; }

    /// <summary>This database as <see cref="Outbound"/> and <see cref="Inbound"/> see it (role, directions, metrics, signal).</summary>
    public SyncEndpoint Endpoint { get; }

    public string Site => Db.SiteId;

    public static string NameOf(string path) => System.IO.Path.GetFileNameWithoutExtension(path);

    /// <summary>
    /// Opens the database at <paramref name="path"/>; its changes are announced on <paramref name="feed"/> when given.
    /// Cancelling <paramref name="cancellationToken"/> stops a wait for another writer's lock, with nothing opened.
    /// </summary>
    public static HostedDatabase Open(
        string path, AgentOptions options, ILoggerFactory loggers, TimeProvider time, AgentMetrics metrics, ChangeFeed? feed = null,
        CancellationToken cancellationToken = default)
    {
        var db = SyncDatabase.Open(path, new SyncDatabaseOptions
        {
            SiteId = string.IsNullOrWhiteSpace(options.Site) ? null : options.Site,
            MaxBatchRows = options.MaxBatchRows,
            Logger = loggers.CreateLogger("EdgeSync.Core"),
            Time = time,
            Metrics = metrics.Engine,
            MayOriginate = (site, table, origin) => DirectionFilter.MayOriginate(options.EffectiveRole, options.DirectionOf(table), site, origin),
        }, cancellationToken);
        try
        {
            foreach (var (table, t) in options.Tables)
            {
                var info = db.EnableTable(table, t.Policy, cancellationToken);
                if (t.OwnerColumn is { } owner && !info.Columns.Contains(owner, StringComparer.OrdinalIgnoreCase))
                {
                    throw new EdgeSync.Errors.SchemaException(EdgeSync.Errors.ErrorCode.InvalidArgument, table,
                        $"EdgeSync:Tables:{table}:OwnerColumn is '{owner}', but table '{info.Name}' has no such column "
                        + $"(it has {string.Join(", ", info.Columns)}); name the column that holds the owning cluster id");
                }
            }

            db.EnableMigrationLog(cancellationToken); // the fleet's migration log flows down from HQ; the application's gate stays local
            Sync.DirectionHistory.Check(db, NameOf(path), options, loggers.CreateLogger("EdgeSync.Agent.Directions"), cancellationToken);
            return new HostedDatabase(NameOf(path), db, options, time, metrics, feed, loggers.CreateLogger("EdgeSync.Agent.Security"));
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    public SyncDirection DirectionOf(string table) => Options.DirectionOf(table);

    /// <summary>What a hub allows a factory to do with <paramref name="table"/> (its direction and owner column).</summary>
    public Security.TableRule RuleOf(string table) => Security.TableRule.Of(Options, table);

    /// <summary>The vector, or null once the database is closed (gauges read it from other threads).</summary>
    public VersionVector? TryVector()
    {
        try
        {
            return Db.Vector;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>
    /// A read-write connection for application writes (ingest), the readiness check and the checkpoint at stop, from
    /// Microsoft.Data.Sqlite's pool: each ingest request on a fresh connection parsed the whole schema (tables and
    /// capture triggers) again. An idle pooled connection holds no transaction; <see cref="Dispose"/> clears the pool.
    /// </summary>
    public SqliteConnection OpenWriter(TimeSpan busyTimeout)
    {
        var c = new SqliteConnection(WriterConnectionString) { DefaultTimeout = (int)Math.Max(1, busyTimeout.TotalSeconds) };
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"PRAGMA busy_timeout = {(long)busyTimeout.TotalMilliseconds}";
        cmd.ExecuteNonQuery();
        return c;
    }

    /// <summary>Asks the capture loop to capture now even if <c>data_version</c> did not move.</summary>
    public void RequestCapture()
    {
        Interlocked.Exchange(ref _captureRequested, 1);
        Volatile.Read(ref _captureWake)?.Invoke();
    }

    /// <summary>Set by the capture loop: how <see cref="RequestCapture"/> wakes it (null: it polls the request).</summary>
    public void SetCaptureWake(Action? wake) => Volatile.Write(ref _captureWake, wake);

    public bool TakeCaptureRequest() => Interlocked.Exchange(ref _captureRequested, 0) == 1;

    /// <summary>
    /// Commits to the file the capture loop has seen move <c>PRAGMA data_version</c> (by any connection: the
    /// application's, another process's, this agent's own bookkeeping). While it stands still, whatever was read from
    /// the file's content is still current, so periodic readers can skip the database instead of reading it again.
    /// </summary>
    public long CommitsSeen => Interlocked.Read(ref _commitsSeen);

    /// <summary>Called by the capture loop when <c>data_version</c> moved.</summary>
    public void CommitSeen() => Interlocked.Increment(ref _commitsSeen);

    private string WriterConnectionString => new SqliteConnectionStringBuilder
    {
        DataSource = Db.Path,
        Mode = SqliteOpenMode.ReadWrite,
        Pooling = true,
    }.ToString();

    public void Dispose()
    {
        Metrics.Unregister(Board);
        using (var pooled = new SqliteConnection(WriterConnectionString))
        {
            SqliteConnection.ClearPool(pooled); // no file stays open after the database is let go of
        }

        Db.Dispose();
    }
}
