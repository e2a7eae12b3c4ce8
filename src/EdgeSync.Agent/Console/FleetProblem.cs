namespace EdgeSync.Agent.Console;

/// <summary>
/// Something an alert rule (<c>deploy/monitoring/alerts.yaml</c>) would fire on, as this agent sees it now: the alert's
/// name, how bad (<c>critical</c> or <c>warning</c>), where (cluster, site, database, table when it applies), one line
/// that says what, and the runbook section that says what to do (<c>docs/runbook.md#alert-name-in-lower-case</c>).
/// </summary>
internal sealed record FleetProblem(
    string Severity, string Alert, string Summary, string Runbook, string? Cluster, string? Site, string? Database, string? Table);
