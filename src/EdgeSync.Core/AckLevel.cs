using System.Globalization;

namespace EdgeSync;

/// <summary>
/// An acknowledgement level: <c>local</c>, <c>replicas:N</c> or <c>hub</c>. A level is judged from what each peer is
/// known to hold of this site's sequence numbers (<c>_edgesync_peers</c>: the vectors peers report in handshakes,
/// push acknowledgements and the batches they send), so only peers this database syncs with directly count. A hub is a
/// peer whose cluster (the site id up to <c>/</c>) differs from this site's.
/// </summary>
public readonly record struct AckLevel
{
    private AckLevel(AckLevelKind kind, int replicas)
    {
        Kind = kind;
        ReplicaCount = replicas;
    }

    /// <summary>Committed here.</summary>
    public static AckLevel Local => new(AckLevelKind.Local, 0);

    /// <summary>Held by a hub.</summary>
    public static AckLevel Hub => new(AckLevelKind.Hub, 0);

    /// <summary>Exported by the hub to its NATS JetStream stream (docs/lifecycle.md).</summary>
    public static AckLevel Exported => new(AckLevelKind.Exported, 0);

    /// <summary>The kind of level.</summary>
    public AckLevelKind Kind { get; }

    /// <summary>For <see cref="AckLevelKind.Replicas"/>, how many other replicas must hold the write; otherwise 0.</summary>
    public int ReplicaCount { get; }

    /// <summary>Held by at least <paramref name="count"/> other replicas (1 or more).</summary>
    public static AckLevel Replicas(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return new(AckLevelKind.Replicas, count);
    }

    /// <summary>
    /// Parses <c>local</c>, <c>replicas:N</c> (N ≥ 1), <c>hub</c> or <c>exported</c>. On failure <paramref name="error"/> says what is
    /// accepted.
    /// </summary>
    public static bool TryParse(string? text, out AckLevel level, out string? error)
    {
        level = Local;
        error = null;
        string t = (text ?? "").Trim();
        if (t.Equals("local", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (t.Equals("hub", StringComparison.OrdinalIgnoreCase))
        {
            level = Hub;
            return true;
        }

        if (t.Equals("exported", StringComparison.OrdinalIgnoreCase))
        {
            level = Exported;
            return true;
        }

        const string prefix = "replicas:";
        if (t.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
            && int.TryParse(t.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= 1000)
        {
            level = Replicas(n);
            return true;
        }

        error = $"'{text}' is not an acknowledgement level; use local, replicas:N (N from 1), hub or exported";
        return false;
    }

    /// <summary><c>local</c>, <c>replicas:N</c>, <c>hub</c> or <c>exported</c>.</summary>
    public override string ToString() => Kind switch
    {
        AckLevelKind.Replicas => "replicas:" + ReplicaCount.ToString(CultureInfo.InvariantCulture),
        AckLevelKind.Hub => "hub",
        AckLevelKind.Exported => "exported",
        _ => "local",
    };
}
