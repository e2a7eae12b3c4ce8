using System.Text.Json;

namespace EdgeSync.Bench.Internal;

/// <summary>Writes a scenario's result: one JSON object on one line (snake_case fields), or readable text.</summary>
internal static class Report
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static void Write<T>(T result, bool json)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(result, Json));
            return;
        }

        foreach (var p in typeof(T).GetProperties())
        {
            var name = JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name);
            var value = p.GetValue(result) switch
            {
                double d => d.ToString(Math.Abs(d) >= 100 ? "N0" : "0.###", System.Globalization.CultureInfo.InvariantCulture),
                IEnumerable<string> list when p.PropertyType != typeof(string) => string.Join(", ", list),
                System.Collections.IEnumerable items when p.PropertyType != typeof(string) => string.Join("; ", items.Cast<object>()),
                var v => v?.ToString(),
            };
            Console.Out.WriteLine($"{name,-22} {value}");
        }
    }

    /// <summary>Progress for a person watching; stderr, so stdout stays one JSON line.</summary>
    public static void Progress(string line) => Console.Error.WriteLine(line);
}
