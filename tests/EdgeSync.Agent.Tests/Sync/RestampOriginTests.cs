using EdgeSync.Agent.Security;
using EdgeSync.Agent.Sync;
using EdgeSync.Merge;
using EdgeSync.Schema;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>
/// Issue 15, found by the topology simulation (<c>--topology hub --steps 120</c>): a clock set right re-stamps every
/// clock it holds from the future as its own write (docs/design.md §6b, rule 4), but in the hub topology a replica's
/// write does not reach every replica that holds the original. A factory re-stamped the hub's rows (a <c>down</c>
/// table: its re-stamp never reached the hub; an HQ-owned <c>items</c> row: the hub's <c>owner</c> rule refused the
/// factory's batch whole, for good; seeds 8178, 10361), and a hub re-stamped a factory's <c>up</c> readings, which
/// cannot flow down (seeds 822, 993, 1429). Each replica now re-stamps only what it may originate
/// (<see cref="DirectionFilter.MayOriginate"/>) and withholds the rest until the origin's side sends it back.
/// Hub and factory in process, through <see cref="Outbound"/>, <see cref="Inbound"/> and the hub's authorization, as
/// the agent wires them.
/// </summary>
public sealed partial class RestampOriginTests
{
    private const string Schema = """
        PRAGMA journal_mode=WAL;
        CREATE TABLE readings(id INTEGER PRIMARY KEY, device TEXT NOT NULL, ts INTEGER NOT NULL, value REAL);
        CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE items(tenant TEXT NOT NULL, code INTEGER NOT NULL, name TEXT, PRIMARY KEY(tenant, code)) WITHOUT ROWID;
        """;

    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public void HubAndFactoryAheadAtOnce_BothSetRight_FactoryWithholdsTheHubsRows_AndEveryRowConverges()
    {
        using var dir = new TempDir();
        var hubTime = new ManualTime(Now.AddHours(3));
        var factoryTime = new ManualTime(Now.AddHours(3).AddMinutes(2)); // further ahead: it accepts the hub's writes
        using var hub = Node.Open(dir.Db("hq"), "hq/edge-0", AgentRole.Hub, hubTime);
        using var factory = Node.Open(dir.Db("f1"), "f1/edge-0", AgentRole.Factory, factoryTime);
        hub.Exec("INSERT INTO settings VALUES ('mode', 'fast')");
        hub.Exec("INSERT INTO items VALUES ('hq', 1, 'press')");
        Exchange(hub, factory);
        Assert.Equal("press", factory.Scalar("SELECT name FROM items WHERE tenant = 'hq'"));
        factory.Exec("INSERT INTO items VALUES ('f1', 1, 'drill')");
        Exchange(factory, hub);
        Assert.Equal("drill", hub.Scalar("SELECT name FROM items WHERE tenant = 'f1'"));

        factoryTime.Now = Now; // both clocks set right, the factory's first
        factory.Db.Capture(TestContext.Current.CancellationToken);
        hubTime.Now = Now.AddSeconds(1);
        hub.Db.Capture(TestContext.Current.CancellationToken);
        factory.Exec("INSERT INTO items VALUES ('f1', 2, 'lathe')"); // written after the fix: must reach the hub
        for (int round = 0; round < 3; round++)
        {
            Exchange(factory, hub); // before the fix: refused by the hub's owner rule (row ('hq', 1) re-stamped as the factory's)
            Exchange(hub, factory);
        }

        Assert.Equal("lathe", hub.Scalar("SELECT name FROM items WHERE tenant = 'f1' AND code = 2"));
        AssertSameRows(hub, factory, "settings", ["mode"]);
        AssertSameRows(hub, factory, "items", ["hq", 1L], ["f1", 1L], ["f1", 2L]);
    }

    [Fact]
    public void HubFurtherAheadThanAFactory_BothSetRight_HubWithholdsTheFactorysUpRows_AndTheyConverge()
    {
        using var dir = new TempDir();
        var hubTime = new ManualTime(Now.AddHours(3).AddMinutes(2)); // further ahead: it accepts the factory's readings
        var factoryTime = new ManualTime(Now.AddHours(3));
        using var hub = Node.Open(dir.Db("hq"), "hq/edge-0", AgentRole.Hub, hubTime);
        using var factory = Node.Open(dir.Db("f1"), "f1/edge-0", AgentRole.Factory, factoryTime);
        factory.Exec("INSERT INTO readings VALUES (1, 'dev-1', 1, 0.5), (2, 'dev-1', 2, 1.5), (3, 'dev-2', 3, 2.5)");
        factory.Exec("INSERT INTO items VALUES ('f1', 1, 'drill')");
        Exchange(factory, hub);
        Assert.Equal(3L, hub.Scalar("SELECT count(*) FROM readings"));

        factoryTime.Now = Now; // both clocks set right, the factory's first: the hub's re-stamp would be the newer one
        factory.Db.Capture(TestContext.Current.CancellationToken);
        hubTime.Now = Now.AddSeconds(1);
        hub.Db.Capture(TestContext.Current.CancellationToken);
        for (int round = 0; round < 3; round++)
        {
            Exchange(factory, hub);
            Exchange(hub, factory);
        }

        // Before the fix the hub kept its own re-stamp of the readings (newer than the factory's), which never flows
        // down an `up` table: the same values under different clocks, for good.
        AssertSameRows(hub, factory, "readings", [1L], [2L], [3L]);
        AssertSameRows(hub, factory, "items", ["f1", 1L]);
    }

    [Theory]
    [InlineData(AgentRole.Factory, SyncDirection.Up, "f1/edge-1~7", true)]     // its own cluster's (a sibling's earlier incarnation)
    [InlineData(AgentRole.Factory, SyncDirection.Both, "f1/edge-0", true)]
    [InlineData(AgentRole.Factory, SyncDirection.Both, "hq/edge-0", false)]    // the hub's row: the hub re-stamps it
    [InlineData(AgentRole.Factory, SyncDirection.Both, "f2/edge-0", false)]    // another factory's row: refused by `owner`
    [InlineData(AgentRole.Factory, SyncDirection.Down, "f1/edge-0", false)]    // a factory never sends a `down` table
    [InlineData(AgentRole.Hub, SyncDirection.Up, "f1/edge-0", false)]          // a hub never sends an `up` table down
    [InlineData(AgentRole.Hub, SyncDirection.Up, "hq/edge-1", true)]
    [InlineData(AgentRole.Hub, SyncDirection.Both, "f1/edge-0", false)]     // its re-stamp: below the original, which only f1's cluster sends back
    [InlineData(AgentRole.Hub, SyncDirection.Down, "hq/edge-0~3", true)]
    [InlineData(AgentRole.Peer, SyncDirection.Up, "f2/edge-0", true)]
    public void MayOriginate_IsWhetherThisReplicasWriteReachesEveryReplicaHoldingTheOriginal(AgentRole role, SyncDirection direction, string origin, bool expected)
    {
        string site = role == AgentRole.Hub ? "hq/edge-0~5" : "f1/edge-0~9";
        Assert.Equal(expected, DirectionFilter.MayOriginate(role, direction, site, origin));
    }

    /// <summary>One exchange as the agent makes it: <paramref name="from"/> extracts for <paramref name="into"/>, which authorizes (a hub) and applies.</summary>
    private static void Exchange(Node from, Node into)
    {
        var authorize = HubAuthorization.CheckFor(into.Db, into.Role, t => TableRule.Of(into.Options, t), PeerIdentity.Claimed(from.Db.SiteId));
        var inbound = new Inbound(into.Endpoint, from.Db.SiteId, from.Role, authorize);
        new Outbound(from.Endpoint, into.Db.SiteId, into.Role).Send(into.Db.Vector, batch => inbound.Receive(batch.Payload), TestContext.Current.CancellationToken);
    }

    private static void AssertSameRows(Node a, Node b, string table, params object?[][] keys)
    {
        foreach (var key in keys)
        {
            var x = a.Db.ReadRowState(table, key);
            var y = b.Db.ReadRowState(table, key);
            Assert.NotNull(x);
            Assert.NotNull(y);
            Assert.True(Same(x, y), $"{table} {string.Join(", ", key)}: {Describe(x)} at {a.Db.SiteId} vs {Describe(y)} at {b.Db.SiteId}");
        }
    }

    private static bool Same(RowState x, RowState y) =>
        x.CausalLength == y.CausalLength && x.Clocks.SequenceEqual(y.Clocks)
        && (x.Values is null ? y.Values is null : y.Values is not null && x.Values.SequenceEqual(y.Values));

    private static string Describe(RowState s) =>
        $"cl={s.CausalLength} [{string.Join(", ", s.Values ?? [])}] clocks={string.Join(", ", s.Clocks)}";

    /// <summary>A replica as its agent opens it: role, table directions and the re-stamp rule from one configuration.</summary>
    private sealed class Node : IDisposable
    {
        private Node(SyncDatabase db, AgentOptions options)
        {
            Db = db;
            Options = options;
        }

        public SyncDatabase Db { get; }

        public AgentOptions Options { get; }

        public AgentRole Role => Options.EffectiveRole;

        public SyncEndpoint Endpoint => new(Db) { Role = Role, DirectionOf = Options.DirectionOf };

        public static Node Open(string path, string site, AgentRole role, TimeProvider time)
        {
            using (var c = new SqliteConnection($"Data Source={path};Pooling=false"))
            {
                c.Open();
                using var cmd = c.CreateCommand();
                cmd.CommandText = Schema;
                cmd.ExecuteNonQuery();
            }

            var options = new AgentOptions
            {
                Site = site,
                ClusterId = DirectionFilter.ClusterOf(site),
                Role = role,
                Tables = new Dictionary<string, TableSyncOptions>(StringComparer.OrdinalIgnoreCase)
                {
                    ["readings"] = new() { Policy = TablePolicy.Append, Direction = SyncDirection.Up },
                    ["settings"] = new() { Direction = SyncDirection.Down },
                    ["items"] = new() { Direction = SyncDirection.Both, OwnerColumn = "tenant" },
                },
            };
            var db = SyncDatabase.Open(path, new SyncDatabaseOptions
            {
                SiteId = site,
                Time = time,
                MayOriginate = (s, table, origin) => DirectionFilter.MayOriginate(role, options.DirectionOf(table), s, origin),
            });
            foreach (var (table, t) in options.Tables)
            {
                db.EnableTable(table, t.Policy);
            }

            return new Node(db, options);
        }

        public void Exec(string sql)
        {
            using var c = Connect();
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            cmd.ExecuteNonQuery();
        }

        public object? Scalar(string sql)
        {
            using var c = Connect();
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            return cmd.ExecuteScalar();
        }

        public void Dispose() => Db.Dispose();

        private SqliteConnection Connect()
        {
            var c = new SqliteConnection($"Data Source={Db.Path};Pooling=false");
            c.Open();
            return c;
        }
    }

    /// <summary>A wall clock the test sets (timers unused).</summary>
    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
