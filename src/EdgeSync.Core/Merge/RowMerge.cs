using EdgeSync.Clocks;

namespace EdgeSync.Merge;

/// <summary>
/// The merge rules, as a pure function with no I/O. Joining row states is commutative, associative and
/// idempotent, so replicas that have received the same set of states hold the same rows whatever the order:
/// <list type="number">
/// <item>The greater causal length wins outright: a delete (even) beats every write to the incarnation it
/// deleted; a re-insert (odd, greater) beats the delete and everything before it.</item>
/// <item>At equal causal length, each column independently keeps the write with the greater clock
/// (HLC, then site id, then sequence): last writer wins per column.</item>
/// <item>Two tombstones of the same incarnation keep the greater delete clock.</item>
/// </list>
/// A losing write is reported as a conflict when its value differs and the winner's writer had not certainly seen it
/// (<see cref="CellClock.HasSeen"/>: no loss goes unreported; a write the writer had received but cannot be shown to
/// have may be reported too). Writes to an older incarnation lose as a whole row: a conflict unless a clock of the winner
/// proves its writer had seen the loser's newest write (<see cref="CellClock.HasSeen"/>; the HLC order alone,
/// <see cref="CellClock.Supersedes"/>, took a delete stamped by a clock that ran ahead for one made after the write).
/// </summary>
internal static class RowMerge
{
    /// <summary>Joins <paramref name="incoming"/> into <paramref name="local"/> (null when the row is unknown locally).
    /// <paramref name="incomingNewest"/>: the newest clock of the incoming row over every column it carries, when it
    /// carries columns this replica lacks (they are not in <paramref name="incoming"/>, but a write to one loses too);
    /// <paramref name="localNewest"/>: the newest of the values this replica keeps aside for the local row (columns it
    /// lacks).</summary>
    public static MergeOutcome Merge(RowState? local, RowState incoming, CellClock? incomingNewest = null, CellClock? localNewest = null)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        if (local is null)
        {
            return new MergeOutcome(incoming, incoming.IsDeleted ? MergeAction.None : MergeAction.Insert, null, true, null);
        }

        if (incoming.CausalLength != local.CausalLength)
        {
            return MergeIncarnations(local, incoming, incoming.CausalLength > local.CausalLength ? localNewest : incomingNewest);
        }

        if (local.IsDeleted)
        {
            var newer = incoming.Clocks[0] > local.Clocks[0];
            return new MergeOutcome(newer ? incoming : local, MergeAction.None, null, newer, null);
        }

        if (incoming.Clocks.Length != local.Clocks.Length)
        {
            throw new ArgumentException("both states must have the same columns", nameof(incoming));
        }

        return MergeColumns(local, incoming);
    }

    /// <remarks><paramref name="loserAside"/>: the newest write of the losing row to a column this replica lacks, if known.</remarks>
    private static MergeOutcome MergeIncarnations(RowState local, RowState incoming, CellClock? loserAside)
    {
        bool incomingWins = incoming.CausalLength > local.CausalLength;
        var (winner, loser) = incomingWins ? (incoming, local) : (local, incoming);
        List<MergeConflict>? conflicts = null;
        if (!loser.IsDeleted)
        {
            // Writes to an older incarnation lose. They were a conflict unless the winner's writer had seen them.
            var loserNewest = loserAside is { } aside && aside > loser.Newest ? aside : loser.Newest;
            var winnerClock = winner.IsDeleted ? winner.Clocks[0] : winner.Newest;
            if (!(winner.IsDeleted ? winnerClock.HasSeen(loserNewest) : winner.Clocks.Any(c => c.HasSeen(loserNewest))))
            {
                var rule = winner.IsDeleted ? ConflictRule.DeleteWins : ConflictRule.NewerIncarnationWins;
                conflicts = [new MergeConflict(-1, rule, winnerClock, null, loserNewest, null)];
            }
        }

        if (!incomingWins)
        {
            return new MergeOutcome(local, MergeAction.None, null, false, conflicts);
        }

        var action = (incoming.IsDeleted, local.IsDeleted) switch
        {
            (true, true) => MergeAction.None,
            (true, false) => MergeAction.Delete,
            (false, true) => MergeAction.Insert,
            (false, false) => MergeAction.Replace,
        };
        return new MergeOutcome(incoming, action, null, true, conflicts);
    }

    private static MergeOutcome MergeColumns(RowState local, RowState incoming)
    {
        int n = local.Clocks.Length;
        object?[]? values = null;
        CellClock[]? clocks = null;
        bool[]? changed = null;
        bool metadataOnly = false;
        List<MergeConflict>? conflicts = null;
        for (int c = 0; c < n; c++)
        {
            var lc = local.Clocks[c];
            var ic = incoming.Clocks[c];
            int cmp = ic.CompareTo(lc);
            if (cmp == 0)
            {
                continue;
            }

            var lv = local.Values![c];
            var iv = incoming.Values![c];
            bool differ = !SqlValue.AreEqual(lv, iv);
            if (cmp > 0)
            {
                values ??= (object?[])local.Values!.Clone();
                clocks ??= (CellClock[])local.Clocks.Clone();
                values[c] = iv;
                clocks[c] = ic;
                if (differ)
                {
                    changed ??= new bool[n];
                    changed[c] = true;
                    if (!ic.HasSeen(lc))
                    {
                        (conflicts ??= []).Add(new MergeConflict(c, ConflictRule.LastWriterWins, ic, iv, lc, lv));
                    }
                }
                else
                {
                    metadataOnly = true;
                }
            }
            else if (differ && !lc.HasSeen(ic))
            {
                (conflicts ??= []).Add(new MergeConflict(c, ConflictRule.LastWriterWins, lc, lv, ic, iv));
            }
        }

        if (clocks is null)
        {
            return new MergeOutcome(local, MergeAction.None, null, false, conflicts);
        }

        var result = RowState.Alive(local.CausalLength, values!, clocks);
        return changed is null
            ? new MergeOutcome(result, MergeAction.None, null, metadataOnly, conflicts)
            : new MergeOutcome(result, MergeAction.Update, changed, true, conflicts);
    }
}
