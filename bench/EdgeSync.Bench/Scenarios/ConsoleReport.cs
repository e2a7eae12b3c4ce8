namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Result of the console scenario: a hub hosting <see cref="Databases"/> databases that has seen
/// <see cref="Replicas"/> replicas in <see cref="Clusters"/> factories on each (synthetic peer vectors and open calls,
/// the real snapshot builder and endpoints). Times are per request over loopback HTTP/1.1, medians and p99 of
/// <see cref="Requests"/> each. <see cref="BuildMs"/>: building and serializing one snapshot (what one request in each
/// half second pays); <see cref="FleetP50Ms"/>/<see cref="FleetP99Ms"/>: <c>GET /v1/fleet</c> polled every 100 ms, so
/// about one in five rebuilds; <see cref="NotModifiedP50Ms"/>: the same with a matching If-None-Match (304);
/// <see cref="ClusterP50Ms"/>: <c>GET /v1/fleet/{cluster}</c>; <see cref="UiP50Ms"/>: <c>GET /ui</c>;
/// <see cref="BaselineP50Ms"/>: <c>GET /healthz/live</c> on the same server (the transport's own cost), and
/// <see cref="FleetToBaseline"/> the ratio of the medians.
/// </summary>
internal sealed record ConsoleReport(
    string Scenario,
    int Clusters,
    int Replicas,
    int Databases,
    int Requests,
    long JsonBytes,
    double BuildMs,
    double BuildP99Ms,
    double FleetP50Ms,
    double FleetP99Ms,
    double NotModifiedP50Ms,
    double NotModifiedP99Ms,
    double ClusterP50Ms,
    double ClusterP99Ms,
    double UiP50Ms,
    double UiP99Ms,
    double BaselineP50Ms,
    double FleetToBaseline);
