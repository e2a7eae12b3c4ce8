using EdgeSync.Schema;

namespace EdgeSync.Bench.Internal;

/// <summary>Prepares a database file for an agent: the workload's table, enabled with a policy, under a site id.</summary>
internal static class Replica
{
    public static void Create(string path, string site, TablePolicy policy)
    {
        using (var app = Workload.OpenApp(path))
        {
            Workload.Exec(app, Workload.CreateTable);
        }

        using var db = SyncDatabase.Open(path, new SyncDatabaseOptions { SiteId = site });
        db.EnableTable("t", policy);
    }
}
