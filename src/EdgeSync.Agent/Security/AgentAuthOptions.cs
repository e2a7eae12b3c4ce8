namespace EdgeSync.Agent.Security;

/// <summary>
/// Authentication of the ingest API (section <c>EdgeSync:Auth</c>; flag <c>--token-file</c>). A request is accepted
/// with a verified client certificate from the fleet CA (<see cref="AgentTlsOptions"/>) or with
/// <c>Authorization: Bearer &lt;token&gt;</c> where the token is the content of <see cref="TokenFile"/>. With neither
/// TLS nor a token file configured, ingest is open (development) and the agent logs a warning at start.
/// </summary>
public sealed record AgentAuthOptions
{
    /// <summary>
    /// A file holding the bearer token (a mounted Secret key; surrounding whitespace ignored, at least 16 characters).
    /// Re-read about every 10 seconds, so a rotated Secret is picked up without a restart.
    /// </summary>
    public string? TokenFile { get; init; }
}
