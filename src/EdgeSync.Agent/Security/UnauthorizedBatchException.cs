namespace EdgeSync.Agent.Security;

/// <summary>
/// A hub refused a factory's batch because it broke an authorization rule; nothing of the batch was applied.
/// Becomes <c>PERMISSION_DENIED</c> with the rule in the <see cref="RuleTrailer"/> trailer.
/// </summary>
internal sealed class UnauthorizedBatchException : Exception
{
    /// <summary>Trailer naming the rule of the first violation, so the sender can record it without parsing the message.</summary>
    public const string RuleTrailer = "edgesync-rule";

    /// <summary>Violations named in the message; the others are only counted.</summary>
    public const int Shown = 5;

    public UnauthorizedBatchException(string peer, IReadOnlyList<Violation> violations)
        : base(Describe(peer, violations))
    {
        Peer = peer;
        Violations = violations;
    }

    /// <summary>The sender's site id.</summary>
    public string Peer { get; }

    /// <summary>Every violation found (at least one).</summary>
    public IReadOnlyList<Violation> Violations { get; }

    /// <summary>The rule of the first violation.</summary>
    public string Rule => Violations[0].Rule;

    private static string Describe(string peer, IReadOnlyList<Violation> violations)
    {
        var shown = string.Join("; ", violations.Take(Shown));
        var more = violations.Count > Shown ? $"; and {violations.Count - Shown} more" : "";
        return $"batch from '{peer}' refused by the hub's rule '{violations[0].Rule}', nothing of it applied: {shown}{more}";
    }
}
