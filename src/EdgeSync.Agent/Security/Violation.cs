namespace EdgeSync.Agent.Security;

/// <summary>One way a factory's batch broke a hub rule.</summary>
/// <param name="Rule">The rule's stable name (<see cref="AuthorizationRule"/>).</param>
/// <param name="Table">The table, or null for a violation of the batch as a whole (an origin range).</param>
/// <param name="Key">The row key as text (<c>('a', 1)</c>), or null.</param>
/// <param name="Reason">What was wrong, for the sender's operator.</param>
internal sealed record Violation(string Rule, string? Table, string? Key, string Reason)
{
    /// <inheritdoc />
    public override string ToString() =>
        Table is null ? $"{Rule}: {Reason}" : $"{Rule}: table '{Table}' row {Key ?? "?"}: {Reason}";
}
