using EdgeSync.Agent;
using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Console.Tests.Support;

/// <summary>
/// A small real fleet in this process: the hub <c>hq</c>, <c>factory-001</c> with two meshed replicas and
/// <c>factory-002</c> with one, every replica syncing with the hub. Before any agent starts, factory-001 and factory-002
/// both write item <c>m1</c> (concurrent writes, so the hub's audit records a conflict whatever the timing).
/// </summary>
public sealed class ConsoleFleet : IAsyncDisposable
{
    private readonly TempDir _dir = new();
    private readonly IDictionary<string, string?>? _hubSettings;

    private ConsoleFleet(IDictionary<string, string?>? hubSettings) => _hubSettings = hubSettings;

    public TestAgent Hub { get; private set; } = null!;

    public TestAgent F1a { get; private set; } = null!;

    public TestAgent F1b { get; private set; } = null!;

    /// <summary>factory-002's only replica; <see cref="CutFactory2Async"/> stops it, <see cref="HealFactory2Async"/> starts it again.</summary>
    public TestAgent? F2 { get; private set; }

    public string F2Path => _dir.Db("factory-002");

    public static async Task<ConsoleFleet> StartAsync(IDictionary<string, string?>? hubSettings = null)
    {
        var fleet = new ConsoleFleet(hubSettings);
        string f1a = fleet._dir.Db("factory-001-0");
        foreach (var (path, qty) in new[] { (f1a, 1), (fleet.F2Path, 2) })
        {
            AppDb.Create(path);
            AppDb.Exec(path, "INSERT INTO items(id, name, qty) VALUES ('m1', 'press', $1)", qty);
        }

        fleet.Hub = await TestAgent.StartAsync(fleet._dir.Db("hq"), "hq", role: AgentRole.Hub, settings: hubSettings);
        fleet.F1a = await TestAgent.StartAsync(f1a, "factory-001/sqlite-edge-0", hub: fleet.Hub.Url);
        fleet.F1b = await TestAgent.StartAsync(fleet._dir.Db("factory-001-1"), "factory-001/sqlite-edge-1", hub: fleet.Hub.Url, peers: [fleet.F1a.Url]);
        await fleet.HealFactory2Async();
        return fleet;
    }

    /// <summary>factory-002's agent stops (as if its cluster lost power or its link).</summary>
    public async Task CutFactory2Async()
    {
        if (F2 is { } f2)
        {
            F2 = null;
            await f2.DisposeAsync();
        }
    }

    /// <summary>factory-002's agent starts again on its database (new ports; it dials the hub).</summary>
    public async Task HealFactory2Async() =>
        F2 ??= await TestAgent.StartAsync(F2Path, "factory-002/sqlite-edge-0", hub: Hub.Url);

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in new[] { F2, F1b, F1a, Hub })
        {
            if (agent is not null)
            {
                await agent.DisposeAsync();
            }
        }

        _dir.Dispose();
    }
}
