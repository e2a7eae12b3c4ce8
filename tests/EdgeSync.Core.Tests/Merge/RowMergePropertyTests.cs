using CsCheck;
using EdgeSync.Clocks;
using EdgeSync.Merge;

namespace EdgeSync.Tests.Merge;

/// <summary>
/// The merge is a join: commutative, associative, idempotent. Generated states are realistic: an event
/// (site, sequence) always carries the same HLC and value, as it does in a real fleet.
/// </summary>
public sealed class RowMergePropertyTests
{
    private const int Columns = 3;
    private static readonly string[] Sites = ["a", "b", "c"];

    private static CellClock Clock(string site, long seq) =>
        new(Hlc.From(1_000 + (seq * 7 % 5), (int)seq), site, seq, Hlc.From(1_000, 0), "");

    private static readonly Gen<(string Site, long Seq)> GenEvent =
        Gen.Select(Gen.Int[0, Sites.Length - 1], Gen.Long[1, 6], (s, q) => (Sites[s], q));

    internal static readonly Gen<RowState> GenState =
        Gen.Select(Gen.Long[1, 4], GenEvent.Array[Columns], (cl, events) =>
        {
            if (cl % 2 == 0)
            {
                return RowState.Deleted(cl, Clock(events[0].Site, events[0].Seq));
            }

            var clocks = events.Select(e => Clock(e.Site, e.Seq)).ToArray();
            var values = events.Select((e, c) => (object?)$"{e.Site}{e.Seq}/k{cl}/c{c}").ToArray();
            return RowState.Alive(cl, values, clocks);
        });

    private static string Show(RowState s) =>
        $"cl={s.CausalLength} " + (s.IsDeleted ? $"deleted@{s.Clocks[0]}" : string.Join(" ", s.Values!.Zip(s.Clocks, (v, c) => $"{v}@{c}")));

    private static RowState Join(RowState a, RowState b) => RowMerge.Merge(a, b).Result;

    [Fact]
    public void Merge_IsCommutative() =>
        Gen.Select(GenState, GenState).Sample((a, b) => Show(Join(a, b)) == Show(Join(b, a)), iter: 20_000);

    [Fact]
    public void Merge_IsAssociative() =>
        Gen.Select(GenState, GenState, GenState).Sample(
            (a, b, c) => Show(Join(Join(a, b), c)) == Show(Join(a, Join(b, c))), iter: 20_000);

    [Fact]
    public void Merge_IsIdempotent() =>
        Gen.Select(GenState, GenState).Sample((a, b) =>
        {
            var ab = Join(a, b);
            var again = RowMerge.Merge(ab, b);
            return Show(again.Result) == Show(ab) && again.Action == MergeAction.None && !again.MetadataChanged;
        }, iter: 20_000);

    [Fact]
    public void Merge_NeverLosesTheGreatestClockOfTheWinningIncarnation() =>
        Gen.Select(GenState, GenState).Sample((a, b) =>
        {
            var r = Join(a, b);
            long cl = Math.Max(a.CausalLength, b.CausalLength);
            if (r.CausalLength != cl)
            {
                return false;
            }

            var same = new[] { a, b }.Where(s => s.CausalLength == cl).ToList();
            return r.IsDeleted || Enumerable.Range(0, Columns).All(c => r.Clocks[c] == same.Select(s => s.Clocks[c]).Max());
        }, iter: 20_000);

    [Fact]
    public void DeleteOfAnIncarnation_BeatsConcurrentUpdates_AndReportsThem()
    {
        var alive = RowState.Alive(1, ["x"], [new CellClock(Hlc.From(10, 0), "a", 5, Hlc.From(1, 0), "a")]);
        var deleted = RowState.Deleted(2, new CellClock(Hlc.From(9, 0), "b", 3, Hlc.From(1, 0), "a"));
        var outcome = RowMerge.Merge(alive, deleted);
        Assert.Equal(MergeAction.Delete, outcome.Action);
        var c = Assert.Single(outcome.Conflicts);
        Assert.Equal((ConflictRule.DeleteWins, "b", "a"), (c.Rule, c.Winner.Site, c.Loser.Site));
    }

    [Fact]
    public void DeleteThatSawTheUpdate_IsNotAConflict()
    {
        var alive = RowState.Alive(1, ["x"], [new CellClock(Hlc.From(10, 0), "a", 5, Hlc.From(1, 0), "a")]);
        var deleted = RowState.Deleted(2, new CellClock(Hlc.From(11, 0), "b", 3, Hlc.From(10, 0), "a"));
        Assert.Empty(RowMerge.Merge(alive, deleted).Conflicts);
    }
}
