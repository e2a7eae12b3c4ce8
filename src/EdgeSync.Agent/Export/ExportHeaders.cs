using System.Globalization;
using System.Text;

namespace EdgeSync.Agent.Export;

/// <summary>Reads the headers of a stored message as the stream's message-get API returns them (base64 of the NATS header block).</summary>
internal static class ExportHeaders
{
    /// <summary><c>EdgeSync-Seq-To</c>, or 0 when absent.</summary>
    public static long SeqTo(string? encoded) =>
        Value(encoded, ExportSubjects.SeqTo) is { } v && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out long to) ? to : 0;

    public static string? Value(string? encoded, string name)
    {
        if (string.IsNullOrEmpty(encoded))
        {
            return null;
        }

        var text = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
        foreach (var line in text.Split("\r\n"))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return null;
    }
}
