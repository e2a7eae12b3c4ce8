using EdgeSync.Schema;

namespace EdgeSync.Storage;

/// <summary>The synced tables the writer holds statements for, by id and by name, and a count of their changes.</summary>
internal sealed partial class SyncStore
{
    private readonly Dictionary<int, TableStore> _byId = [];
    private int _tablesVersion;
    private readonly Dictionary<string, TableStore> _byName = new(StringComparer.OrdinalIgnoreCase);

    public IEnumerable<TableStore> Tables => _byId.Values.OrderBy(t => t.Info.Name, StringComparer.Ordinal);

    /// <summary>The ids of the tables whose sync a schema drift stopped: their queued writes wait for it to be resolved.</summary>
    public List<int> StoppedTableIds() => _byId.Values.Where(t => t.Info.Drift is not null).Select(t => t.Info.Id).ToList();

    private void LoadTables()
    {
        foreach (var t in _byId.Values)
        {
            t.Dispose();
        }

        _byId.Clear();
        _byName.Clear();
        foreach (var info in TableCatalog.Load(Db))
        {
            AddTable(info);
        }
    }

    /// <summary>Replaces a synced table's statements after its schema changed (or its drift was recorded).</summary>
    internal void ReplaceTable(TableInfo info)
    {
        if (_byId.Remove(info.Id, out var old))
        {
            _byName.Remove(old.Info.Name);
            old.Dispose();
        }

        AddTable(info);
    }

    /// <summary>Drops a forgotten table's statements.</summary>
    internal void RemoveTable(int id)
    {
        if (_byId.Remove(id, out var old))
        {
            _byName.Remove(old.Info.Name);
            old.Dispose();
            Interlocked.Increment(ref _tablesVersion);
        }
    }

    internal void AddTable(TableInfo info)
    {
        var store = new TableStore(Db, Sites, info);
        _byId[info.Id] = store;
        _byName[info.Name] = store;
        Interlocked.Increment(ref _tablesVersion);
    }

    /// <summary>Moves whenever a table is added, replaced or removed; readable from any thread without the caller's lock.</summary>
    public int TablesVersion => Volatile.Read(ref _tablesVersion);

    public TableStore? FindTable(string name) => _byName.GetValueOrDefault(name);

    public TableStore Table(int id) => _byId[id];

    public TableStore? FindTable(long id) => _byId.GetValueOrDefault((int)id);
}
