using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace EdgeSync.Cli.K8s;

/// <summary>
/// Writes a tree of maps (<see cref="SortedDictionary{TKey,TValue}"/> with ordinal keys), lists, strings, integers
/// and booleans as block-style YAML. Deterministic: keys sorted, LF line ends, strings that YAML could read as
/// anything else (anything starting with a digit, booleans, null, special characters) double-quoted.
/// </summary>
internal static partial class YamlWriter
{
    private static readonly string[] Reserved =
        ["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"];

    /// <summary>A new map for the writer: ordinal key order, so output never depends on insertion order or culture.</summary>
    public static SortedDictionary<string, object> Map() => new(StringComparer.Ordinal);

    public static string Write(string header, object document)
    {
        var sb = new StringBuilder();
        foreach (var line in header.Split('\n'))
        {
            sb.Append("# ").Append(line).Append('\n');
        }

        WriteValue(sb, document, 0, afterKey: false);
        return sb.ToString();
    }

    private static void WriteValue(StringBuilder sb, object value, int indent, bool afterKey)
    {
        switch (value)
        {
            case SortedDictionary<string, object> { Count: 0 }:
                sb.Append(afterKey ? " {}\n" : "{}\n");
                break;
            case SortedDictionary<string, object> map:
                if (afterKey)
                {
                    sb.Append('\n');
                }

                WriteMapBody(sb, map, indent, firstInline: false);
                break;
            case IList<object> { Count: 0 }:
                sb.Append(afterKey ? " []\n" : "[]\n");
                break;
            case IList<object> list:
                if (afterKey)
                {
                    sb.Append('\n');
                }

                foreach (var item in list)
                {
                    sb.Append(' ', indent).Append("- ");
                    if (item is SortedDictionary<string, object> { Count: > 0 } itemMap)
                    {
                        WriteMapBody(sb, itemMap, indent + 2, firstInline: true);
                    }
                    else
                    {
                        WriteValue(sb, item, indent + 2, afterKey: false);
                    }
                }

                break;
            default:
                sb.Append(afterKey ? " " : "").Append(Scalar(value)).Append('\n');
                break;
        }
    }

    private static void WriteMapBody(StringBuilder sb, SortedDictionary<string, object> map, int indent, bool firstInline)
    {
        bool first = true;
        foreach (var (key, value) in map)
        {
            if (!(first && firstInline))
            {
                sb.Append(' ', indent);
            }

            first = false;
            sb.Append(Scalar(key)).Append(':');
            WriteValue(sb, value, indent + 2, afterKey: true);
        }
    }

    /// <summary>One scalar: integers and booleans as such, strings plain when that reads back as the same string.</summary>
    public static string Scalar(object value) => value switch
    {
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        string s => IsPlainSafe(s) ? s : JsonSerializer.Serialize(s),
        _ => throw new ArgumentException($"cannot write a {value.GetType().Name} as YAML", nameof(value)),
    };

    private static bool IsPlainSafe(string s) =>
        PlainSafe().IsMatch(s)
        && !char.IsAsciiDigit(s[0])
        && !Reserved.Contains(s, StringComparer.OrdinalIgnoreCase)
        && !s.StartsWith(".inf", StringComparison.OrdinalIgnoreCase)
        && !s.StartsWith(".nan", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex("^[A-Za-z_/.][A-Za-z0-9_./:@-]*$")]
    private static partial Regex PlainSafe();
}
