namespace EdgeSync.Cli.K8s;

/// <summary>A container image split the way kustomize's <c>images</c> field wants it: name plus tag or digest.</summary>
internal sealed record ImageReference(string Name, string? Tag, string? Digest)
{
    /// <summary>Parses <c>registry/name:tag</c> or <c>registry/name@sha256:...</c>; null when neither a tag nor a digest is given.</summary>
    public static ImageReference? TryParse(string text)
    {
        int at = text.IndexOf('@', StringComparison.Ordinal);
        if (at > 0)
        {
            string digest = text[(at + 1)..];
            return digest.StartsWith("sha256:", StringComparison.Ordinal) && digest.Length == 71 && !text[..at].Contains(' ', StringComparison.Ordinal)
                ? new ImageReference(text[..at], null, digest)
                : null;
        }

        int colon = text.LastIndexOf(':');
        int slash = text.LastIndexOf('/');
        if (colon <= slash + 1 || colon == text.Length - 1 || text.Contains(' ', StringComparison.Ordinal))
        {
            return null;
        }

        return new ImageReference(text[..colon], text[(colon + 1)..], null);
    }

    public override string ToString() => Digest is null ? $"{Name}:{Tag}" : $"{Name}@{Digest}";
}
