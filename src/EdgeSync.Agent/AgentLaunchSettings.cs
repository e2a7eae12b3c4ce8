namespace EdgeSync.Agent;

/// <summary>
/// What <c>edgesync serve</c>'s flags set, as configuration keys with the highest precedence. Everything else
/// (ConfigMap keys, intervals, tables) comes from appsettings, <c>EDGESYNC_*</c> variables or <see cref="Settings"/>.
/// </summary>
public sealed record AgentLaunchSettings
{
    /// <summary><c>--db PATH</c> (repeatable).</summary>
    public IReadOnlyList<string> Databases { get; init; } = [];

    /// <summary><c>--db-dir DIR</c> (repeatable): a directory (every <c>*.db</c> in it) or a glob such as <c>/data/*.sqlite</c>.</summary>
    public IReadOnlyList<string> DatabaseDirectories { get; init; } = [];

    /// <summary><c>--site NAME</c>.</summary>
    public string? Site { get; init; }

    /// <summary><c>--listen URL</c> (repeatable): the sync (gRPC, h2c) endpoint, e.g. <c>http://0.0.0.0:5000</c>; port 0 picks a free port.</summary>
    public IReadOnlyList<string> Listen { get; init; } = [];

    /// <summary><c>--http-listen URL</c> (repeatable): the HTTP/1.1 endpoint for ingest, metrics and probes, e.g. <c>http://0.0.0.0:8080</c>.</summary>
    public IReadOnlyList<string> HttpListen { get; init; } = [];

    /// <summary><c>--peer URL</c> (repeatable).</summary>
    public IReadOnlyList<string> Peers { get; init; } = [];

    /// <summary><c>--peer-dns NAME:PORT</c>.</summary>
    public string? PeerDns { get; init; }

    /// <summary><c>--hub URL</c>.</summary>
    public string? Hub { get; init; }

    /// <summary><c>--role hub|factory|peer</c>.</summary>
    public AgentRole? Role { get; init; }

    /// <summary>Any other configuration keys (e.g. <c>EdgeSync:SyncIntervalMs</c>, <c>EdgeSync:Tables:readings:Policy</c>).</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>The configuration keys these settings stand for.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ToConfiguration()
    {
        const string S = AgentOptions.SectionName;
        for (int i = 0; i < Databases.Count; i++)
        {
            yield return new($"{S}:Databases:{i}", Databases[i]);
        }

        for (int i = 0; i < DatabaseDirectories.Count; i++)
        {
            yield return new($"{S}:DatabaseDirectories:{i}", DatabaseDirectories[i]);
        }

        for (int i = 0; i < Peers.Count; i++)
        {
            yield return new($"{S}:Peers:{i}", Peers[i]);
        }

        if (Site is not null)
        {
            yield return new($"{S}:Site", Site);
        }

        if (PeerDns is not null)
        {
            yield return new($"{S}:PeerDns", PeerDns);
        }

        if (Hub is not null)
        {
            yield return new($"{S}:Hub", Hub);
        }

        if (Role is { } role)
        {
            yield return new($"{S}:Role", role.ToString());
        }

        for (int i = 0; i < Listen.Count; i++)
        {
            yield return new($"{S}:Listen:{i}", Listen[i]);
        }

        for (int i = 0; i < HttpListen.Count; i++)
        {
            yield return new($"{S}:HttpListen:{i}", HttpListen[i]);
        }

        foreach (var kv in Settings)
        {
            yield return kv;
        }

    }
}
