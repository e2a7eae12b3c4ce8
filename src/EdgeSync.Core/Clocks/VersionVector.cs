using System.Collections;

namespace EdgeSync.Clocks;

/// <summary>
/// For each origin site, the highest sequence number up to which a replica has every change (or a newer state
/// that supersedes it). Immutable; <see cref="With"/> returns a copy.
/// </summary>
public sealed class VersionVector : IReadOnlyDictionary<string, long>
{
    private readonly Dictionary<string, long> _entries;

    /// <summary>The entries ordered by site, made at the first enumeration: a fleet's vector has hundreds of entries and
    /// is enumerated for every message that carries it and every peer vector recorded.</summary>
    private KeyValuePair<string, long>[]? _ordered;

    /// <summary>The empty vector: has seen nothing.</summary>
    public static VersionVector Empty { get; } = new(new Dictionary<string, long>(StringComparer.Ordinal));

    private VersionVector(Dictionary<string, long> entries) => _entries = entries;

    /// <summary>Builds a vector from (site, sequence) pairs; non-positive entries are dropped.</summary>
    public static VersionVector From(IEnumerable<KeyValuePair<string, long>> entries)
    {
        var d = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (site, seq) in entries)
        {
            if (seq > 0)
            {
                d[site] = Math.Max(seq, d.GetValueOrDefault(site));
            }
        }

        return new VersionVector(d);
    }

    /// <summary>The sequence seen for <paramref name="site"/>, 0 when none.</summary>
    public long this[string site] => _entries.GetValueOrDefault(site);

    /// <summary>True when the event (site, seq) is covered by this vector.</summary>
    public bool Covers(string site, long seq) => seq <= _entries.GetValueOrDefault(site);

    /// <summary>A copy with <paramref name="site"/> raised to at least <paramref name="seq"/>.</summary>
    public VersionVector With(string site, long seq)
    {
        if (seq <= this[site])
        {
            return this;
        }

        var d = new Dictionary<string, long>(_entries, StringComparer.Ordinal) { [site] = seq };
        return new VersionVector(d);
    }

    /// <summary>The pointwise maximum of two vectors.</summary>
    public VersionVector Merge(VersionVector other)
    {
        var d = new Dictionary<string, long>(_entries, StringComparer.Ordinal);
        foreach (var (site, seq) in other._entries)
        {
            d[site] = Math.Max(seq, d.GetValueOrDefault(site));
        }

        return new VersionVector(d);
    }

    /// <summary>True when every entry of this vector is at least the matching entry of <paramref name="other"/>.</summary>
    public bool Dominates(VersionVector other) => other._entries.All(e => this[e.Key] >= e.Value);

    /// <inheritdoc />
    public IEnumerable<string> Keys => _entries.Keys;

    /// <inheritdoc />
    public IEnumerable<long> Values => _entries.Values;

    /// <inheritdoc />
    public int Count => _entries.Count;

    /// <inheritdoc />
    public bool ContainsKey(string key) => _entries.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, out long value) => _entries.TryGetValue(key, out value);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, long>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, long>>)Ordered()).GetEnumerator();

    private KeyValuePair<string, long>[] Ordered()
    {
        if (_ordered is { } ordered)
        {
            return ordered;
        }

        ordered = [.. _entries];
        Array.Sort(ordered, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return _ordered = ordered; // a race builds the same array twice: harmless
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public override string ToString() => "{" + string.Join(", ", this.Select(e => $"{e.Key}:{e.Value}")) + "}";
}
