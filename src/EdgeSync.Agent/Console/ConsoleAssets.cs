using System.IO.Hashing;

namespace EdgeSync.Agent.Console;

/// <summary>
/// The console's page, script and style sheet, embedded in the agent assembly (<c>Console/Assets/*</c>, and <c>docs/runbook.md</c> as <c>runbook.md</c>; no build step,
/// no CDN: it works offline), read once with an ETag each.
/// </summary>
internal static class ConsoleAssets
{
    private const string Prefix = "EdgeSync.Agent.Console.Assets.";

    private static readonly Lazy<IReadOnlyDictionary<string, Asset>> All = new(Load);

    /// <summary>The asset named <paramref name="name"/> (<c>index.html</c>, <c>console.js</c>, <c>console.css</c>), or null.</summary>
    public static Asset? Find(string name) => All.Value.GetValueOrDefault(name);

    private static Dictionary<string, Asset> Load()
    {
        var assembly = typeof(ConsoleAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            byte[] bytes = copy.ToArray();
            string name = resource[Prefix.Length..];
            assets[name] = new Asset(bytes, ContentType(name), $"\"{XxHash64.HashToUInt64(bytes):x16}\"");
        }

        return assets;
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".md" => "text/markdown; charset=utf-8",
        _ => "application/octet-stream",
    };

    /// <summary>One embedded file.</summary>
    public sealed record Asset(byte[] Bytes, string ContentType, string ETag);
}
