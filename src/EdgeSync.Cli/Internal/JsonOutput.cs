using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace EdgeSync.Cli.Internal;

/// <summary>Writes one indented JSON document to a <see cref="TextWriter"/> (no reflection: field names are explicit).</summary>
internal static class JsonOutput
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // output is read by people and jq, not embedded in HTML
    };

    public static void Write(TextWriter output, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            write(writer);
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    /// <summary>A SQLite value with its type kept: integer, real, string, null, or base64 for a blob.</summary>
    public static void WriteValue(this Utf8JsonWriter writer, string name, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNull(name);
                break;
            case long l:
                writer.WriteNumber(name, l);
                break;
            case double d when double.IsFinite(d):
                writer.WriteNumber(name, d);
                break;
            case byte[] b:
                writer.WriteBase64String(name, b);
                break;
            default:
                writer.WriteString(name, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }
}
