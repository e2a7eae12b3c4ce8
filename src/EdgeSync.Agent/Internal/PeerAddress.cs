namespace EdgeSync.Agent.Internal;

/// <summary>Peer URL and <c>name:port</c> parsing.</summary>
internal static class PeerAddress
{
    /// <summary>A peer URL without a trailing slash, so the same peer configured twice is one loop.</summary>
    public static string Normalize(string url) => url.Trim().TrimEnd('/');

    /// <summary>True for an absolute http or https URL.</summary>
    public static bool IsValidUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps);

    /// <summary>Parses <c>name:port</c>.</summary>
    public static bool TryParseDns(string? value, out string host, out int port)
    {
        host = "";
        port = 0;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        int colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), out port) || port is <= 0 or > 65535)
        {
            return false;
        }

        host = value[..colon].Trim();
        return host.Length > 0;
    }

    /// <summary>The URL of a resolved address (<c>https</c> when the agent uses mutual TLS).</summary>
    public static string ForAddress(System.Net.IPAddress address, int port, bool tls = false) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"{(tls ? "https" : "http")}://[{address}]:{port}"
            : $"{(tls ? "https" : "http")}://{address}:{port}";
}
