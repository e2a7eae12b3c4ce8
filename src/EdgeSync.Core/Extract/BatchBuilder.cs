using EdgeSync.Clocks;
using EdgeSync.Internal;
using EdgeSync.Merge;
using EdgeSync.Protocol;
using EdgeSync.Schema;

namespace EdgeSync.Extract;

/// <summary>
/// Accumulates rows and origin ranges into one bounded batch at a time. The first batch of an extraction holds at most
/// <see cref="FirstBatchRows"/> rows and each next one twice the last, up to the caller's maximum: the oldest changes,
/// which have waited longest, reach the peer without waiting for a full batch to be read, shipped and applied, while a
/// backlog still travels in full batches after a few small ones (the peer applies one batch while the next is read).
/// </summary>
internal sealed class BatchBuilder
{
    /// <summary>The most rows the first batch of an extraction holds.</summary>
    public const int FirstBatchRows = 1_000;

    private readonly string _sender;
    private readonly VersionVector _senderVector;
    private readonly IReadOnlyList<OriginRange> _disclaimed; // announced with every batch (ChangeBatch.Disclaimed)
    private readonly IReadOnlyDictionary<int, TableInfo> _tables;
    private readonly int _maxRows;
    private readonly long _maxBytes;
    private int _limit; // rows of the batch being built: FirstBatchRows, doubling at each flush, up to _maxRows
    private readonly Dictionary<int, List<RowChange>> _rows = [];
    private readonly Dictionary<int, List<InsertRun>> _runs = [];
    private readonly HashSet<(int, object)> _seen = new(KeyComparer.Instance);
    private readonly List<OriginRange> _done = [];
    private string? _origin;
    private long _from;
    private long _reached;
    private int _count;
    private long _bytes;

    public BatchBuilder(string sender, VersionVector senderVector, IReadOnlyDictionary<int, TableInfo> tables, int maxRows, long maxBytes,
        IReadOnlyList<OriginRange>? disclaimed = null)
    {
        _disclaimed = disclaimed ?? [];
        _sender = sender;
        _senderVector = senderVector;
        _tables = tables;
        _maxRows = maxRows;
        _maxBytes = maxBytes;
        _limit = Math.Min(FirstBatchRows, maxRows);
    }

    public bool Full => _count >= _limit || _bytes >= _maxBytes;

    public int RoomLeft => Math.Max(0, _limit - _count);

    public bool HasContent => _count > 0 || _done.Count > 0 || (_origin is not null && _reached > _from);

    public void StartOrigin(string site, long from)
    {
        CloseOrigin();
        _origin = site;
        _from = from;
        _reached = from;
    }

    public void Reached(long seq) => _reached = Math.Max(_reached, seq);

    public void Add(int tid, object storedKey, object?[] key, RowState state)
    {
        if (!_seen.Add((tid, storedKey)))
        {
            return;
        }

        if (!_rows.TryGetValue(tid, out var list))
        {
            _rows[tid] = list = [];
        }

        list.Add(new RowChange(key, state));
        _count++;
        _bytes += 16 + (state.Values?.Sum(Size) ?? 0);
    }

    /// <summary>Adds an insert run (its rows never have metadata, so they cannot repeat a row added otherwise).</summary>
    public void AddRun(int tid, InsertRun run)
    {
        if (!_runs.TryGetValue(tid, out var list))
        {
            _runs[tid] = list = [];
        }

        list.Add(run);
        _count += run.Count;
        long bytes = 16L * run.Count;
        foreach (var c in run.Columns)
        {
            bytes += 8L * c.Count + c.PayloadBytes;
        }

        _bytes += bytes;
    }

    private static long Size(object? v) => v switch
    {
        string s => s.Length,
        byte[] b => b.Length,
        _ => 8,
    };

    private void CloseOrigin()
    {
        if (_origin is not null && _reached > _from)
        {
            _done.Add(new OriginRange(_origin, _from, _reached));
        }

        _origin = null;
    }

    public ChangeBatch Flush()
    {
        var ranges = new List<OriginRange>(_done);
        if (_origin is not null && _reached > _from)
        {
            ranges.Add(new OriginRange(_origin, _from, _reached));
            _from = _reached;
        }

        var tables = _rows.Keys.Union(_runs.Keys).Select(tid => _tables[tid]).OrderBy(t => t.Name, StringComparer.Ordinal).Select(t =>
            new TableChangeSet(t.Name, t.Columns, t.PrimaryKey.Select(i => t.Columns[i]).ToArray(),
                _rows.GetValueOrDefault(t.Id) ?? [], _runs.GetValueOrDefault(t.Id))
            {
                ColumnTypes = t.DeclaredTypes.Count == t.Columns.Count ? t.DeclaredTypes : null,
            }).ToList();
        var batch = new ChangeBatch(_sender, _senderVector, ranges, tables) { Disclaimed = _disclaimed };
        _done.Clear();
        _rows.Clear();
        _runs.Clear();
        _seen.Clear();
        _count = 0;
        _bytes = 0;
        _limit = (int)Math.Min(_maxRows, 2L * _limit);
        return batch;
    }
}
