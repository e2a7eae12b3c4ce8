using System.Globalization;
using EdgeSync.Cli.Internal;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace EdgeSync.Cli.K8s;

internal static partial class InventoryReader
{
    /// <summary>Where in the file a value is: builds the one-line errors.</summary>
    private sealed class Context(string file, string where, YamlNode node)
    {
        public Context Child(string what, YamlNode child) => new(file, where.Length == 0 ? what : $"{where}: {what}", child);

        public CliException Error(YamlNode at, string message)
        {
            string prefix = where.Length == 0 ? "" : $"{where}: ";
            return new CliException(ExitCodes.UsageError, $"{file}:{at.Start.Line}: {prefix}{message}");
        }

        /// <summary>The value as a mapping, with YAML merge keys applied (<c>&lt;&lt;: *defaults</c>; keys given in the entry win).</summary>
        public YamlMappingNode Mapping(YamlNode value)
        {
            if (value is not YamlMappingNode map)
            {
                throw Error(value, where.Length == 0 ? "the inventory must be a mapping with 'image', 'hub' and 'factories'" : "must be a mapping of fields");
            }

            var mergeKey = new YamlScalarNode("<<");
            if (!map.Children.TryGetValue(mergeKey, out var merge))
            {
                return map;
            }

            var sources = merge switch
            {
                YamlMappingNode one => [one],
                YamlSequenceNode many when many.Children.All(c => c is YamlMappingNode) => many.Children.Cast<YamlMappingNode>().ToList(),
                _ => throw Error(merge, "'<<' must merge a mapping or a list of mappings (e.g. <<: *factory-defaults)"),
            };
            var merged = new YamlMappingNode();
            foreach (var (key, child) in map.Children.Where(c => !c.Key.Equals(mergeKey)))
            {
                merged.Children.Add(key, child);
            }

            foreach (var source in sources)
            {
                foreach (var (key, child) in Mapping(source).Children)
                {
                    merged.Children.TryAdd(key, child);
                }
            }

            return merged;
        }

        public void CheckKeys(YamlMappingNode map, string[] known, bool allowExtensions = false)
        {
            foreach (var key in map.Children.Keys)
            {
                string name = (key as YamlScalarNode)?.Value ?? "";
                if (!known.Contains(name, StringComparer.Ordinal) && !(allowExtensions && name.StartsWith("x-", StringComparison.Ordinal)))
                {
                    throw Error(key, $"unknown field '{name}' (known: {string.Join(", ", known)})");
                }
            }
        }

        public static YamlNode? Optional(YamlMappingNode map, string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var value) && !IsNull(value) ? value : null;

        public YamlNode Required(YamlMappingNode map, string key) =>
            Optional(map, key) ?? throw Error(node, $"field '{key}' is missing");

        public string Text(YamlNode value, string field)
        {
            if (value is not YamlScalarNode scalar || string.IsNullOrWhiteSpace(scalar.Value))
            {
                throw Error(value, $"field '{field}' must be a non-empty string");
            }

            return scalar.Value.Trim();
        }

        public string Label(YamlNode value, string field)
        {
            string text = Text(value, field);
            if (text.Length > 63 || !InventoryReader.Label().IsMatch(text))
            {
                throw Error(value, $"field '{field}': '{text}' must be a DNS label (at most 63 lowercase letters, digits and '-')");
            }

            return text;
        }

        public int Integer(YamlNode value, string field, int min, int max)
        {
            string text = value is YamlScalarNode s ? s.Value ?? "" : "";
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < min || n > max)
            {
                throw Error(value, $"field '{field}' must be a whole number from {min} to {max}, not '{text}'");
            }

            return n;
        }

        public ImageReference? Image(YamlMappingNode map, string field, bool required)
        {
            var value = required ? Required(map, field) : Optional(map, field);
            if (value is null)
            {
                return null;
            }

            string text = Text(value, field);
            return ImageReference.TryParse(text)
                ?? throw Error(value, $"field '{field}': '{text}' must name a tag or digest (registry/name:1.2.3 or registry/name@sha256:...), so every cluster runs a known version");
        }

        private static bool IsNull(YamlNode value) =>
            value is YamlScalarNode { Style: ScalarStyle.Plain } s && (s.Value is null || s.Value is "" or "~" or "null");
    }
}
