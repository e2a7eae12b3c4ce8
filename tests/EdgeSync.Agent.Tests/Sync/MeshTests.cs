using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Sync;

public sealed class MeshTests
{
    [Fact]
    public async Task ThreeReplicaMesh_WritesOnEveryReplica_Converge()
    {
        using var dir = new TempDir();

        // Each pair needs one connection (a round pulls and pushes): c serves, b dials c, a dials b and c.
        await using var c = await TestAgent.StartAsync(dir.Db("c"), "mesh-c");
        await using var b = await TestAgent.StartAsync(dir.Db("b"), "mesh-b", peers: [c.Url]);
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "mesh-a", peers: [b.Url, c.Url]);
        TestAgent[] all = [a, b, c];

        for (int i = 0; i < all.Length; i++)
        {
            AppDb.InsertReadings(all[i].DbPath, (i + 1) * 1_000_000, 500, all[i].Site);
            AppDb.Exec(all[i].DbPath, "INSERT INTO items(id, name, qty) VALUES ($1, $2, $3)", $"item-{i}", $"from {all[i].Site}", i);

            // The same lww row written on every replica at once: one value must win everywhere.
            AppDb.Exec(all[i].DbPath, "INSERT INTO settings(key, value, owner) VALUES ('mode', $1, $2) "
                + "ON CONFLICT(key) DO UPDATE SET value = excluded.value, owner = excluded.owner", $"mode-{i}", all[i].Site);
        }

        await Eventually.TrueAsync(
            () => all.All(r => AppDb.Count(r.DbPath, "readings") == 1_500 && AppDb.Count(r.DbPath, "items") == 3)
                && all.Select(r => r.Db.Checksum()).Distinct().Count() == 1,
            "all three replicas hold the same 1500 readings, 3 items and one 'mode' value",
            diagnostics: () => string.Join("\n", all.Select(r => $"{r.Site}: readings={AppDb.Count(r.DbPath, "readings")} items={AppDb.Count(r.DbPath, "items")} mode={AppDb.Scalar(r.DbPath, "SELECT value FROM settings")}")));

        Assert.Single(all.Select(r => AppDb.Dump(r.DbPath)).Distinct());
        Assert.Equal(1L, AppDb.Count(a.DbPath, "settings"));
    }

    [Fact]
    public async Task PeerDns_ResolvesAllAddresses_AndSyncsWithThem()
    {
        using var dir = new TempDir();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "dns-a");
        int port = new Uri(a.Url).Port;
        await using var b = await TestAgent.StartAsync(dir.Db("b"), "dns-b", settings: new Dictionary<string, string?>
        {
            ["EdgeSync:PeerDns"] = $"localhost:{port}",
            ["EdgeSync:PeerDnsIntervalMs"] = "200",
        });

        AppDb.Exec(a.DbPath, "INSERT INTO items(id, name) VALUES ('via-dns', 'x')");
        await Eventually.TrueAsync(() => AppDb.Count(b.DbPath, "items", "id = 'via-dns'") == 1, "row from a reaches b through the DNS-discovered peer");
    }
}
