using System.Globalization;
using System.Text.Json;

namespace EdgeSync.Fault.Tests.Support;

/// <summary>
/// LWW traffic on the <c>config</c> table from the <c>sqlite3</c> shell as the application, with a record of every
/// write: each runs in one transaction that first reads the value it is about to overwrite, so the test knows what the
/// application had seen. Every value written is unique (<c>site#n</c>), so a value names its write.
/// Keys: <c>s0</c>–<c>s5</c> are written by every replica and never deleted (concurrent conflicting writes);
/// <c>d0</c>–<c>d3</c> are upserted and deleted by every replica; <c>own:SITE:n</c> are written once, by their site only.
/// </summary>
public sealed class LwwTraffic(int seed)
{
    /// <summary>What the shell prints for a key that has no row.</summary>
    public const string Absent = "<absent>";

    private readonly Random _rng = new(seed);
    private readonly List<LwwWrite> _writes = [];
    private int _next;

    public IReadOnlyList<LwwWrite> Writes => _writes;

    /// <summary>A label recorded with every write from now on (e.g. "ahead", "fixed").</summary>
    public string Phase { get; set; } = "start";

    /// <summary>
    /// Each round, every site (in turn) upserts a shared key, upserts or deletes a churn key, and inserts a key of its own.
    /// </summary>
    public void Rounds(IEnumerable<EdgeSite> sites, int rounds)
    {
        var list = sites.ToList();
        for (int round = 0; round < rounds; round++)
        {
            foreach (var site in list)
            {
                Write(site, "s" + _rng.Next(6), NextValue(site));
                Write(site, "d" + _rng.Next(4), _rng.Next(3) == 0 ? null : NextValue(site));
                Write(site, $"own:{site.Site}:{_next}", NextValue(site));
            }
        }
    }

    /// <summary>A value no write used before, naming its site.</summary>
    public string NextValue(EdgeSite site) => $"{site.Site}#{_next++}";

    /// <summary>Upserts <paramref name="key"/> = <paramref name="value"/> (null: deletes the row) on <paramref name="site"/>'s database.</summary>
    public LwwWrite Write(EdgeSite site, string key, string? value)
    {
        string sql = value is null
            ? $"DELETE FROM config WHERE key = '{key}';"
            : $"INSERT INTO config(key, value, updated_by) VALUES ('{key}', '{value}', '{site.Site}') "
              + "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by;";
        string output = Shell.Run("sqlite3", "-cmd", ".timeout 10000", site.DbPath,
            $"BEGIN IMMEDIATE; SELECT coalesce((SELECT value FROM config WHERE key = '{key}'), '{Absent}'); {sql} COMMIT;");
        string prev = output.Trim();
        var write = new LwwWrite(site.Site, key, value, prev == Absent ? null : prev, Phase, DateTimeOffset.UtcNow);
        _writes.Add(write);
        return write;
    }

    /// <summary>Every row of the LWW table, every column, as the application reads it.</summary>
    public static string Dump(string db) =>
        Shell.Run("sqlite3", "-cmd", ".timeout 10000", db, "SELECT key, value, updated_by FROM config ORDER BY key;");

    /// <summary>Key → value of a <see cref="Dump"/>.</summary>
    public static Dictionary<string, string> Values(string dump) =>
        dump.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('|'))
            .ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);

    /// <summary>
    /// The writes chosen by <paramref name="which"/> that were lost without a trace: a value written to a key that is
    /// never deleted (shared and own keys) must be what the replicas hold in the end, or have been read by the
    /// application right before another write replaced it (a later write that saw it), or be the losing value of a
    /// conflict in some replica's audit.
    /// </summary>
    public IReadOnlyList<LwwWrite> Unaccounted(IReadOnlyDictionary<string, string> final, IReadOnlyCollection<AuditedLoss> audit, Func<LwwWrite, bool> which)
    {
        var seen = _writes.Where(w => w.Prev is not null).Select(w => w.Prev!).ToHashSet(StringComparer.Ordinal);
        var lost = audit.Where(c => c.LoserValue is not null).Select(c => c.LoserValue!).ToHashSet(StringComparer.Ordinal);
        return _writes
            .Where(w => w.Value is not null && !w.Key.StartsWith('d') && which(w))
            .Where(w => final.GetValueOrDefault(w.Key) != w.Value && !seen.Contains(w.Value!) && !lost.Contains(w.Value!))
            .ToList();
    }

    /// <summary>The conflict audit of <paramref name="db"/> (<c>edgesync conflicts --json</c>): which value lost to which, and the losing site.</summary>
    public static IReadOnlyList<AuditedLoss> Conflicts(string db)
    {
        string json = Shell.Run(AgentProcess.Executable, "conflicts", "--db", db, "--table", "config", "--json", "--limit", "1000000");
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(c => new AuditedLoss(
            c.GetProperty("key").GetString() ?? "",
            c.GetProperty("column").ValueKind == JsonValueKind.Null ? null : c.GetProperty("column").GetString(),
            c.GetProperty("rule").GetString() ?? "",
            Text(c.GetProperty("winner").GetProperty("value")),
            c.GetProperty("winner").GetProperty("site").GetString() ?? "",
            Text(c.GetProperty("loser").GetProperty("value")),
            c.GetProperty("loser").GetProperty("site").GetString() ?? "")).ToList();
    }

    private static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.String => value.GetString(),
        _ => value.GetRawText(),
    };

    /// <summary>The writes, one a line (for a failure message).</summary>
    public static string Describe(IEnumerable<LwwWrite> writes) =>
        string.Join('\n', writes.Select(w => w.ToString()));
}

/// <summary>One write of the application: <see cref="Value"/> null is a delete; <see cref="Prev"/> the value it read right before (null: no row).</summary>
public sealed record LwwWrite(string Site, string Key, string? Value, string? Prev, string Phase, DateTimeOffset At)
{
    public override string ToString() =>
        $"{At.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)} [{Phase}] {Site}: {Key} = {Value ?? "(delete)"} over {Prev ?? LwwTraffic.Absent}";
}

/// <summary>One entry of a replica's conflict audit, as <c>edgesync conflicts --json</c> prints it.</summary>
public sealed record AuditedLoss(string Key, string? Column, string Rule, string? WinnerValue, string WinnerSite, string? LoserValue, string LoserSite);
