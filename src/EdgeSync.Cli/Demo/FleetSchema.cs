namespace EdgeSync.Cli.Demo;

/// <summary>
/// The plant database every site holds, and how each of its tables syncs: the configuration every demo agent gets
/// (the keys an operator would put in appsettings or <c>EdgeSync__Tables__…</c> variables).
/// </summary>
internal static class FleetSchema
{
    /// <summary>The database's file name, the same on every site: agents match databases by name.</summary>
    public const string DatabaseFile = "plant.db";

    /// <summary>The application's tables, created by the app before the agent starts (the agent enables sync on them).</summary>
    public const string Schema = """
        PRAGMA journal_mode = WAL;
        CREATE TABLE telemetry(id INTEGER PRIMARY KEY, device TEXT NOT NULL, ts INTEGER NOT NULL, value REAL);
        CREATE TABLE config(key TEXT PRIMARY KEY, value TEXT, updated_by TEXT);
        CREATE TABLE machine_state(machine TEXT PRIMARY KEY, state TEXT, updated_by TEXT);
        """;

    /// <summary>HQ's configuration before the demo starts; every factory receives it at start.</summary>
    public static readonly (string Key, string Value)[] InitialConfig =
    [
        ("sampling_interval_ms", "1000"),
        ("alarm_threshold", "80.0"),
        ("firmware_channel", "stable"),
    ];

    /// <summary>The change HQ pushes during the demo; its propagation time is measured.</summary>
    public static readonly (string Key, string Value) PushedConfig = ("sampling_interval_ms", "250");

    /// <summary>Agents above this count poll for commits less often, so a big fleet in one process stays responsive on few cores.</summary>
    private const int ManyAgents = 16;

    /// <summary>Configuration keys of one demo agent.</summary>
    public static Dictionary<string, string?> AgentSettings(string clusterId, int agents) => new()
    {
        ["EdgeSync:ClusterId"] = clusterId,
        ["EdgeSync:Tables:telemetry:Policy"] = "append",
        ["EdgeSync:Tables:telemetry:Direction"] = "up",
        ["EdgeSync:Tables:config:Policy"] = "lww",
        ["EdgeSync:Tables:config:Direction"] = "down",
        ["EdgeSync:Tables:machine_state:Policy"] = "lww",
        ["EdgeSync:Tables:machine_state:Direction"] = "both",
        ["EdgeSync:CaptureIntervalMs"] = agents > ManyAgents ? "25" : "5",
        ["EdgeSync:RetryMaxDelayMs"] = "1000",

        // The demo prints its own progress on stdout; the agents' JSON logs go to stderr and only for errors. gRPC and
        // Kestrel log a stream cut by a stopping agent as an error with a stack trace; the agent logs its own failures.
        ["Logging:LogLevel:Default"] = "Error",
        ["Logging:LogLevel:Grpc"] = "Critical",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Critical",
        ["Logging:Console:LogToStandardErrorThreshold"] = "Trace",
    };

    /// <summary>
    /// Host arguments of a demo agent: no watching of appsettings files for changes (one inotify instance per agent
    /// would exhaust the usual per-user limit of 128 with a large fleet in one process).
    /// </summary>
    public static string[] HostArgs { get; } = ["--hostBuilder:reloadConfigOnChange=false"];
}
