namespace EdgeSync.Fuzz;

/// <summary>What an input came to when every invariant held.</summary>
public enum FuzzOutcome
{
    /// <summary>Decoded / applied / written.</summary>
    Accepted,

    /// <summary>Refused with a documented, typed error and nothing changed.</summary>
    Refused,
}
