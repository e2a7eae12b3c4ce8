using System.Text.Json;
using EdgeSync.Clocks;
using EdgeSync.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// What a re-offered table (<see cref="TableReoffer"/>) may still owe its peers: changes that peers' vectors passed
/// without their rows (the host withheld the table) and that this replica did not hold when it re-offered the table
/// (its files were put back), so they reach it later under their origin's clock. Per origin: <see cref="Done"/>, the
/// sequence up to which every change this replica holds of the table is re-offered (the vector at the re-offer, then
/// each later pass); <see cref="Bound"/>, the highest sequence any registered peer's vector passed (its first report
/// after the re-offer: what it passed before it, the only time its vector can have passed the table's changes without
/// their rows); <see cref="Peers"/>, the peers registered. A pass re-offers the rows whose clocks name a change in
/// (<c>Done</c>, min(<c>Bound</c>, held)], then moves <c>Done</c> there: each such change is re-offered once.
/// Kept in <c>_edgesync_meta</c> (<c>reoffer_watch:TABLE</c>, JSON), so it is put back with the file it describes.
/// </summary>
internal sealed class ReofferWatch
{
    private const string Prefix = "reoffer_watch:";
    private static readonly string PrefixEnd = Prefix[..^1] + (char)(Prefix[^1] + 1); // the first key past every watch

    /// <summary>The table's name as enabled.</summary>
    public string Table { get; set; } = "";

    /// <summary>Per origin, the sequence up to which the table's rows are re-offered.</summary>
    public Dictionary<string, long> Done { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Per origin, the highest sequence a registered peer's vector passed.</summary>
    public Dictionary<string, long> Bound { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The peers whose vector is registered in <see cref="Bound"/>.</summary>
    public List<string> Peers { get; set; } = [];

    /// <summary>Every watch of the database.</summary>
    private static List<ReofferWatch> ReadAll(SqliteConnection db)
    {
        var watches = new List<ReofferWatch>();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT value FROM _edgesync_meta WHERE key >= $lo AND key < $hi";
        cmd.Parameters.AddWithValue("$lo", Prefix);
        cmd.Parameters.AddWithValue("$hi", PrefixEnd);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            if (JsonSerializer.Deserialize<ReofferWatch>(r.GetString(0)) is { } watch)
            {
                watches.Add(watch);
            }
        }

        return watches;
    }

    /// <summary>How many tables are watched (one read of <c>_edgesync_meta</c>).</summary>
    public static int Count(SyncStore store) =>
        Convert.ToInt32(Sql.Scalar(store.Db, "SELECT count(*) FROM _edgesync_meta WHERE key >= $lo AND key < $hi",
            ("$lo", Prefix), ("$hi", PrefixEnd)), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>True when <see cref="Complete"/> has anything to register or issue (read outside a transaction, under the caller's lock).</summary>
    public static bool HasWork(SyncStore store, string? peer, VersionVector? passed)
    {
        var held = store.CommittedVector;
        return ReadAll(store.Db).Any(w => (peer is not null && passed is not null && w.IsNew(peer)) || w.Window(held).Count > 0);
    }

    /// <summary>
    /// In the caller's transaction: registers <paramref name="peer"/>'s <paramref name="passed"/> in every watch it is new
    /// to, then issues again the rows of each watched table in its window (<see cref="TableReoffer"/>) and records the
    /// pass. Returns the rows issued.
    /// </summary>
    public static int Complete(SyncStore store, string? peer, VersionVector? passed)
    {
        int issued = 0;
        foreach (var watch in ReadAll(store.Db))
        {
            bool changed = peer is not null && passed is not null && watch.Register(peer, passed, store.SiteId);
            var window = watch.Window(store.VectorAsVersionVector());
            if (window.Count > 0)
            {
                if (store.FindTable(watch.Table) is { } t)
                {
                    issued += TableReoffer.Run(store, t, window);
                }

                watch.Advance(window);
                changed = true;
            }

            if (changed)
            {
                watch.Write(store);
            }
        }

        return issued;
    }

    /// <summary>Starts (or restarts) the watch of <paramref name="table"/>, just re-offered with <paramref name="held"/> held.</summary>
    public static void Start(SyncStore store, string table, VersionVector held) =>
        new ReofferWatch { Table = table, Done = held.ToDictionary(StringComparer.Ordinal) }.Write(store);

    /// <summary>Stores the watch in the caller's transaction.</summary>
    public void Write(SyncStore store) =>
        Sql.Scalar(store.Db, "INSERT OR REPLACE INTO _edgesync_meta(key, value) VALUES ($k, $v)",
            ("$k", Prefix + Table.ToLowerInvariant()), ("$v", JsonSerializer.Serialize(this)));

    /// <summary>True when <paramref name="peer"/> has no vector registered yet.</summary>
    public bool IsNew(string peer) => !Peers.Contains(peer, StringComparer.Ordinal);

    /// <summary>
    /// Registers <paramref name="peer"/>'s first report, <paramref name="passed"/>, without <paramref name="self"/> (this
    /// replica's own current changes are never withheld from the table's peers once it is re-offered). False when the
    /// peer was registered before.
    /// </summary>
    public bool Register(string peer, VersionVector passed, string self)
    {
        if (!IsNew(peer))
        {
            return false;
        }

        Peers.Add(peer);
        foreach (var (site, seq) in passed)
        {
            if (!string.Equals(site, self, StringComparison.Ordinal) && seq > Bound.GetValueOrDefault(site))
            {
                Bound[site] = seq;
            }
        }

        return true;
    }

    /// <summary>Per origin, the changes a pass re-offers now: (<see cref="Done"/>, min(<see cref="Bound"/>, <paramref name="held"/>)]. Empty when none.</summary>
    public Dictionary<string, (long After, long UpTo)> Window(VersionVector held)
    {
        var window = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        foreach (var (site, bound) in Bound)
        {
            long upTo = Math.Min(bound, held[site]);
            long after = Done.GetValueOrDefault(site);
            if (upTo > after)
            {
                window[site] = (after, upTo);
            }
        }

        return window;
    }

    /// <summary>Records the pass over <paramref name="window"/> as made.</summary>
    public void Advance(Dictionary<string, (long After, long UpTo)> window)
    {
        foreach (var (site, (_, upTo)) in window)
        {
            Done[site] = upTo;
        }
    }
}
