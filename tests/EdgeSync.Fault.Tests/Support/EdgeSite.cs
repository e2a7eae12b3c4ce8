namespace EdgeSync.Fault.Tests.Support;

/// <summary>
/// One replica of the fleet: its namespace on the fault network, its database file (same file name on every site, as
/// agents match databases by name), its agent process and an HTTP client that reaches the agent inside its namespace.
/// </summary>
public sealed record EdgeSite(string Site, int Factory, int Replica, NetNode Node, string DbPath, AgentProcess Agent, HttpClient Http)
{
    /// <summary>Where HQ's rows would come from: factory 0 is HQ itself.</summary>
    public bool IsHq => Factory == 0;

    public override string ToString() => Site;
}
