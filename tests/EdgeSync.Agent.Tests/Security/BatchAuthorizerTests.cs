using CsCheck;
using EdgeSync.Agent.Security;
using EdgeSync.Clocks;
using EdgeSync.Merge;
using EdgeSync.Protocol;

namespace EdgeSync.Agent.Tests.Security;

public sealed class BatchAuthorizerTests
{
    private const string Me = "f1";
    private static readonly string[] Columns = ["id", "name", "cluster_id"];
    private static readonly string[] OwnSites = ["f1/edge-0", "f1/edge-1", "f1/edge-0~2"];
    private static readonly string[] OtherSites = ["f2/edge-0", "hq/hub", "f10/edge-0"];

    private static readonly Dictionary<string, TableRule> Rules = new()
    {
        ["items"] = new(SyncDirection.Both, "cluster_id"),
        ["telemetry"] = new(SyncDirection.Up, "cluster_id"),
        ["settings"] = new(SyncDirection.Down, null),
        ["notes"] = new(SyncDirection.Both, null),
        ["keyed"] = new(SyncDirection.Both, "cluster_id"),
    };

    private static TableRule RuleOf(string table) => Rules.GetValueOrDefault(table, TableRule.Open);

    private static CellClock Clock(string site, long seq, long ms = 1_000) => new(new Hlc(ms << 16), site, seq, default, "");

    private static RowState Alive(string owner, CellClock clock, long cl = 1) =>
        RowState.Alive(cl, ["x", "name", owner], [clock, clock, clock]);

    private static RowChange Row(object id, RowState state) => new([id], state);

    private static ChangeBatch Batch(string table, IEnumerable<RowChange> rows, string sender = "f1/edge-0", IEnumerable<OriginRange>? ranges = null, string[]? keyColumns = null)
    {
        var list = rows.ToList();
        var rangeList = ranges?.ToList() ?? list.SelectMany(r => r.State.Clocks).GroupBy(c => c.Site)
            .Select(g => new OriginRange(g.Key, g.Min(c => c.Seq) - 1, g.Max(c => c.Seq))).ToList();
        return new ChangeBatch(sender, VersionVector.Empty, rangeList,
            [new TableChangeSet(table, Columns, keyColumns ?? ["id"], list)]);
    }

    private sealed class Hub
    {
        public Dictionary<string, RowState> Rows { get; } = [];

        public VersionVector Vector { get; set; } = VersionVector.Empty;

        public void Hold(string table, object id, RowState state)
        {
            Rows[$"{table}|{id}"] = state;
            foreach (var c in state.Clocks)
            {
                Vector = Vector.With(c.Site, c.Seq);
            }
        }

        public RowState? Find(TableChangeSet set, object?[] key) => Rows.GetValueOrDefault($"{set.Table}|{key[0]}");

        public IReadOnlyList<Violation> Check(ChangeBatch batch, string cluster = Me) =>
            BatchAuthorizer.Authorize(batch, cluster, RuleOf, Vector, Find);
    }

    [Fact]
    public void OwnRowsOfUpAndBothTables_Pass()
    {
        var hub = new Hub();
        Assert.Empty(hub.Check(Batch("items", [Row("a", Alive(Me, Clock("f1/edge-0", 1))), Row("b", Alive(Me, Clock("f1/edge-1", 4)))])));
        Assert.Empty(hub.Check(Batch("telemetry", [Row("t", Alive(Me, Clock("f1/edge-0~2", 2)))])));
        Assert.Empty(hub.Check(Batch("notes", [Row("n", Alive("anyone", Clock("f1/edge-0", 3)))])));
    }

    [Fact]
    public void RowsOfADownTable_BreakDownTable()
    {
        var v = Assert.Single(new Hub().Check(Batch("settings", [Row("k", Alive(Me, Clock("f1/edge-0", 1)))])));
        Assert.Equal(AuthorizationRule.DownTable, v.Rule);
        Assert.Equal("settings", v.Table);
        Assert.Equal("('k')", v.Key);
    }

    [Fact]
    public void ARowOwnedByAnotherCluster_BreaksOwner()
    {
        var v = Assert.Single(new Hub().Check(Batch("items", [Row("a", Alive(Me, Clock("f1/edge-0", 1))), Row("b", Alive("f2", Clock("f1/edge-0", 2)))])));
        Assert.Equal(AuthorizationRule.Owner, v.Rule);
        Assert.Equal("('b')", v.Key);
        Assert.Contains("'f2'", v.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void RewritingTheOwnerOfAnotherClustersRow_BreaksOwner()
    {
        var hub = new Hub();
        hub.Hold("items", "b", Alive("f2", Clock("f2/edge-0", 1)));

        // f1 takes f2's row over: same causal length, every column rewritten with f1's clocks, owner f1.
        var v = Assert.Single(hub.Check(Batch("items", [Row("b", Alive(Me, Clock("f1/edge-0", 5, ms: 2_000)))])));
        Assert.Equal(AuthorizationRule.Owner, v.Rule);
        Assert.Contains("hub holds", v.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DeletingAnotherClustersRow_BreaksOwner()
    {
        var hub = new Hub();
        hub.Hold("items", "b", Alive("f2", Clock("f2/edge-0", 1)));
        var v = Assert.Single(hub.Check(Batch("items", [Row("b", RowState.Deleted(2, Clock("f1/edge-0", 7, ms: 2_000)))])));
        Assert.Equal(AuthorizationRule.Owner, v.Rule);
        Assert.Contains("delete", v.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DeletingARowTheHubNeverSaw_PassesUnlessTheKeyNamesAnotherOwner()
    {
        var hub = new Hub();
        Assert.Empty(hub.Check(Batch("items", [Row("gone", RowState.Deleted(2, Clock("f1/edge-0", 2)))])));

        // With the owner in the key, a tombstone says whose row it is even when the hub never saw it.
        var own = new RowChange([Me, 1L], RowState.Deleted(2, Clock("f1/edge-0", 3)));
        var other = new RowChange(["f2", 1L], RowState.Deleted(2, Clock("f1/edge-0", 4)));
        Assert.Empty(hub.Check(Batch("keyed", [own], keyColumns: ["cluster_id", "id"])));
        var v = Assert.Single(hub.Check(Batch("keyed", [other], keyColumns: ["cluster_id", "id"])));
        Assert.Equal(AuthorizationRule.Owner, v.Rule);
        Assert.Equal("('f2', 1)", v.Key);
    }

    [Fact]
    public void AnOriginRangeOfAnotherCluster_BreaksOrigin()
    {
        var batch = Batch("items", [Row("a", Alive(Me, Clock("f1/edge-0", 1)))],
            ranges: [new OriginRange("f1/edge-0", 0, 1), new OriginRange("f2/edge-0", 0, 10)]);
        var v = Assert.Single(new Hub().Check(batch));
        Assert.Equal(AuthorizationRule.Origin, v.Rule);
        Assert.Null(v.Table);
        Assert.Contains("'f2/edge-0'", v.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ABatchClaimingAnotherSender_BreaksOrigin()
    {
        var v = Assert.Single(new Hub().Check(Batch("notes", [], sender: "f2/edge-0", ranges: [])));
        Assert.Equal(AuthorizationRule.Origin, v.Rule);
    }

    [Fact]
    public void AChangePresentedAsAnotherSitesThatTheHubDoesNotHold_BreaksOrigin()
    {
        // A row owned by f1 whose name is presented as written by f2 (or HQ): laundering another site's write.
        foreach (var other in OtherSites)
        {
            var own = Clock("f1/edge-0", 1);
            var forged = RowState.Alive(1, ["x", "forged", Me], [own, Clock(other, 99, ms: 9_000), own]);
            var violations = new Hub().Check(Batch("items", [Row("a", forged)], ranges: [new OriginRange("f1/edge-0", 0, 1)]));
            var v = Assert.Single(violations);
            Assert.Equal(AuthorizationRule.Origin, v.Rule);
            Assert.Contains(other, v.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AStaleCopyOfHqsCellInAFactoryEdit_Passes()
    {
        // HQ created the row (owner f1); f1 edited one column. Its full state still carries HQ's clocks for the others.
        var hub = new Hub();
        var hq = Clock("hq/hub", 3);
        hub.Hold("items", "a", RowState.Alive(1, ["x", "by hq", Me], [hq, hq, hq]));
        var edit = RowState.Alive(1, ["x", "by f1", Me], [hq, Clock("f1/edge-0", 8, ms: 2_000), hq]);
        Assert.Empty(hub.Check(Batch("items", [Row("a", edit)], ranges: [new OriginRange("f1/edge-0", 7, 8)])));

        // ... and HQ has since written that cell again: the factory's older HQ clock changes nothing either.
        hub.Hold("items", "a", RowState.Alive(1, ["x", "by hq", Me], [Clock("hq/hub", 5, ms: 3_000), hq, hq]));
        Assert.Empty(hub.Check(Batch("items", [Row("a", edit)], ranges: [new OriginRange("f1/edge-0", 7, 8)])));
    }

    [Fact]
    public void AnotherSitesClockWithADifferentValueThatWouldWin_BreaksOrigin()
    {
        var hub = new Hub();
        var hq = Clock("hq/hub", 3);
        hub.Hold("items", "a", RowState.Alive(1, ["x", "by hq", Me], [hq, hq, hq]));

        // The same HQ sequence number with a newer HLC would win the merge: it is not a copy of what the hub holds.
        var forged = RowState.Alive(1, ["x", "evil", Me], [hq, Clock("hq/hub", 3, ms: 5_000), Clock("f1/edge-0", 9, ms: 2_000)]);
        Assert.Equal(AuthorizationRule.Origin, Assert.Single(hub.Check(Batch("items", [Row("a", forged)], ranges: []))).Rule);

        // A newer incarnation of the row (higher causal length) would carry HQ's clocks with it, whatever their values.
        var reinserted = RowState.Alive(3, ["x", "evil", Me], [hq, hq, Clock("f1/edge-0", 9, ms: 2_000)]);
        Assert.Equal(AuthorizationRule.Origin, Assert.Single(hub.Check(Batch("items", [Row("a", reinserted)], ranges: []))).Rule);
    }

    [Fact]
    public void RowsTheHubAlreadyHoldsEntirely_AreIgnored()
    {
        // Relayed back unchanged (e.g. after the owner rewrote the row): apply would skip it, so it breaks nothing.
        var hub = new Hub();
        var f2 = Clock("f2/edge-0", 4);
        hub.Hold("items", "b", Alive("f2", f2));
        Assert.Empty(hub.Check(Batch("items", [Row("b", Alive("f2", f2))], ranges: [])));
    }

    [Fact]
    public void ManyViolations_AreBounded()
    {
        var rows = Enumerable.Range(0, 500).Select(i => Row($"r{i}", Alive("f2", Clock("f1/edge-0", i + 1))));
        Assert.Equal(BatchAuthorizer.MaxViolations, new Hub().Check(Batch("items", rows)).Count);
    }

    // ---- properties ----

    // Milliseconds from 2: the rows the generated hub holds are stamped at 1 ms, so every generated change is newer than
    // what the hub holds. At 1 ms a change could tie the hub's clock and lose to it on the site id: apply would skip it,
    // the authorizer rightly lets it through, and the "flip one clock's origin" property would fail for a correct reason.
    private static readonly Gen<CellClock> GenOwnClock =
        Gen.Select(Gen.Int[0, OwnSites.Length - 1], Gen.Long[1, 1_000], Gen.Long[2, 10_000], (s, q, ms) => Clock(OwnSites[s], q, ms));

    private static readonly Gen<RowState> GenOwnState =
        Gen.Frequency((4, Gen.Select(GenOwnClock.Array[3], Gen.String[0, 8], Gen.Long[0, 3],
                (clocks, name, k) => RowState.Alive(2 * k + 1, ["x", name, Me], clocks))),
            (1, Gen.Select(GenOwnClock, Gen.Long[1, 3], (c, k) => RowState.Deleted(2 * k, c))));

    /// <summary>A batch of the sender's own rows in an up or both table; the hub holds some of them (owned by f1, older).</summary>
    private static readonly Gen<(ChangeBatch Batch, Hub Hub)> GenOwnBatch =
        Gen.Select(Gen.Bool, GenOwnState.Array[1, 20], Gen.Bool.Array[20], (up, states, held) =>
        {
            var hub = new Hub();
            var rows = states.Select((s, i) => Row($"k{i}", s)).ToList();
            for (int i = 0; i < rows.Count; i++)
            {
                if (held[i])
                {
                    hub.Rows[$"{(up ? "telemetry" : "items")}|k{i}"] = Alive(Me, Clock("hq/hub", 1, ms: 1), cl: 1);
                }
            }

            return (Batch(up ? "telemetry" : "items", rows), hub);
        });

    [Fact]
    public void Property_ABatchOfOnlyTheSendersOwnRows_Passes() =>
        GenOwnBatch.Sample(t => t.Hub.Check(t.Batch).Count == 0, iter: 2_000);

    [Fact]
    public void Property_FlippingOneRowsOwner_BreaksOwnerOnThatRow() =>
        Gen.Select(GenOwnBatch, Gen.Int[0, 19], Gen.Int[0, OtherSites.Length - 1], (t, pick, o) => (t, pick, o)).Sample(x =>
        {
            var (t, pick, o) = x;
            var set = t.Batch.Tables[0];
            var alive = set.Rows.Select((r, i) => (r, i)).Where(p => !p.r.State.IsDeleted).ToList();
            if (alive.Count == 0)
            {
                return true;
            }

            var (row, index) = alive[pick % alive.Count];
            var values = (object?[])row.State.Values!.Clone();
            values[2] = ClusterOf(OtherSites[o]);
            var violations = t.Hub.Check(WithRow(t.Batch, index, new RowChange(row.Key, RowState.Alive(row.State.CausalLength, values, row.State.Clocks))));
            return violations.Count == 1 && violations[0].Rule == AuthorizationRule.Owner && violations[0].Key == $"('k{index}')";
        }, iter: 2_000);

    [Fact]
    public void Property_FlippingOneClocksOrigin_BreaksOrigin() =>
        Gen.Select(GenOwnBatch, Gen.Int[0, 19], Gen.Int[0, 2], Gen.Int[0, OtherSites.Length - 1], (t, pick, col, o) => (t, pick, col, o)).Sample(x =>
        {
            var (t, pick, col, o) = x;
            var set = t.Batch.Tables[0];
            int index = pick % set.Rows.Count;
            var row = set.Rows[index];
            var clocks = (CellClock[])row.State.Clocks.Clone();
            int c = col % clocks.Length;
            clocks[c] = clocks[c] with { Site = OtherSites[o] };
            var state = row.State.IsDeleted ? RowState.Deleted(row.State.CausalLength, clocks[0]) : RowState.Alive(row.State.CausalLength, row.State.Values!, clocks);
            var violations = t.Hub.Check(WithRow(t.Batch, index, new RowChange(row.Key, state)));
            return violations.Count == 1 && violations[0].Rule == AuthorizationRule.Origin && violations[0].Key == $"('k{index}')";
        }, iter: 2_000);

    [Fact]
    public void Property_AddingARangeOfAnotherCluster_BreaksOrigin() =>
        Gen.Select(GenOwnBatch, Gen.Int[0, OtherSites.Length - 1], Gen.Long[1, 100], (t, o, to) => (t, o, to)).Sample(x =>
        {
            var (t, o, to) = x;
            var b = t.Batch;
            var forged = new ChangeBatch(b.Sender, b.SenderVector, [.. b.Ranges, new OriginRange(OtherSites[o], 0, to)], b.Tables);
            var violations = t.Hub.Check(forged);
            return violations.Count == 1 && violations[0].Rule == AuthorizationRule.Origin && violations[0].Table is null;
        }, iter: 1_000);

    /// <summary>The batch with row <paramref name="index"/> of its first table replaced (change sets are read-only).</summary>
    private static ChangeBatch WithRow(ChangeBatch batch, int index, RowChange row)
    {
        var set = batch.Tables[0];
        var rows = set.Rows.ToList();
        rows[index] = row;
        return new ChangeBatch(batch.Sender, batch.SenderVector, batch.Ranges,
            [new TableChangeSet(set.Table, set.Columns, set.KeyColumns, rows, set.Runs), .. batch.Tables.Skip(1)]);
    }

    private static string ClusterOf(string site) => EdgeSync.Agent.Sync.DirectionFilter.ClusterOf(site);

    private static ChangeBatch RunBatch(string table, string site, params (long Id, string Owner)[] rows)
    {
        var columns = Columns.Select(_ => new ColumnVector()).ToArray();
        foreach (var (id, owner) in rows)
        {
            columns[0].AddInt64(id);
            columns[1].Add("name");
            columns[2].Add(owner);
        }

        var run = new InsertRun(site, new Hlc(1_000 << 16), 1, rows.Select(r => r.Id).ToArray(), rows.Length, columns);
        return new ChangeBatch("f1/edge-0", VersionVector.Empty, [new OriginRange(site, 0, run.LastSeq)],
            [new TableChangeSet(table, Columns, ["id"], [], [run])]);
    }

    [Fact]
    public void InsertRuns_AreCheckedLikeRowStates()
    {
        var hub = new Hub();
        Assert.Empty(hub.Check(RunBatch("items", "f1/edge-0", (1, Me), (2, Me), (5, Me))));
        Assert.Empty(hub.Check(RunBatch("notes", "f1/edge-1", (1, "anyone"))));

        var owner = Assert.Single(hub.Check(RunBatch("items", "f1/edge-0", (1, Me), (2, "f2"), (3, Me))));
        Assert.Equal((AuthorizationRule.Owner, "(2)"), (owner.Rule, owner.Key));

        var down = Assert.Single(hub.Check(RunBatch("settings", "f1/edge-0", (7, Me))));
        Assert.Equal((AuthorizationRule.DownTable, "(7)"), (down.Rule, down.Key));

        Assert.Contains(hub.Check(RunBatch("notes", "f2/edge-0", (1, "x"))), v => v.Rule == AuthorizationRule.Origin);

        // A run may not take over a row the hub holds with another owner (apply would merge it into that row).
        hub.Hold("items", 9L, Alive("f2", Clock("f2/edge-0", 1)));
        var hijack = Assert.Single(hub.Check(RunBatch("items", "f1/edge-0", (9, Me))));
        Assert.Equal((AuthorizationRule.Owner, "(9)"), (hijack.Rule, hijack.Key));
    }
}
