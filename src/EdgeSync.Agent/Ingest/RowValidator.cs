using System.Text.Json;

namespace EdgeSync.Agent.Ingest;

/// <summary>
/// Validates a whole ingest request before anything is written and converts it to SQLite values. Pure: no I/O.
/// Problems are keyed like <c>rows[3].temperature</c> so a caller can find each one.
/// </summary>
internal static class RowValidator
{
    public static IReadOnlyList<Dictionary<string, object?>> Validate(
        JsonElement body, TableShape table, int maxRows, Dictionary<string, List<string>> problems)
    {
        var rows = new List<Dictionary<string, object?>>();
        if (body.ValueKind != JsonValueKind.Array)
        {
            Add(problems, "$", "the body must be a JSON array of objects (column → value)");
            return rows;
        }

        int count = body.GetArrayLength();
        if (count == 0 || count > maxRows)
        {
            Add(problems, "$", count == 0 ? "the array is empty; send at least one row" : $"{count} rows in one request; send at most {maxRows}");
            return rows;
        }

        int i = 0;
        foreach (var element in body.EnumerateArray())
        {
            string at = $"rows[{i++}]";
            if (element.ValueKind != JsonValueKind.Object)
            {
                Add(problems, at, $"a row must be a JSON object, not {element.ValueKind.ToString().ToLowerInvariant()}");
                continue;
            }

            try
            {
                rows.Add(ValidateRow(element, at, table, problems));
            }
            catch (InvalidOperationException)
            {
                // System.Text.Json parses strings lazily: a name or value that is not valid UTF-8 throws when read.
                Add(problems, at, "the row contains a string that is not valid UTF-8");
            }
        }

        return rows;
    }

    private static Dictionary<string, object?> ValidateRow(JsonElement element, string at, TableShape table, Dictionary<string, List<string>> problems)
    {
        var row = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in element.EnumerateObject())
        {
            string where = $"{at}.{property.Name}";
            if (!table.Columns.TryGetValue(property.Name, out var column))
            {
                Add(problems, where, $"table '{table.Info.Name}' has no synced column '{property.Name}' (columns: {string.Join(", ", table.Info.Columns)})");
            }
            else if (row.ContainsKey(column.Name))
            {
                Add(problems, where, $"column '{column.Name}' appears twice");
            }
            else if (TryConvert(property.Value, column, out var value, out var error))
            {
                row[column.Name] = value;
            }
            else
            {
                Add(problems, where, error);
            }
        }

        foreach (var column in table.Columns.Values.Where(c => c.Required))
        {
            if (!row.TryGetValue(column.Name, out var v) && !element.TryGetProperty(column.Name, out _))
            {
                Add(problems, $"{at}.{column.Name}", column.IsKey
                    ? $"missing key column '{column.Name}'; every row needs its full primary key"
                    : $"missing column '{column.Name}', which is NOT NULL without a default");
            }
            else if (row.TryGetValue(column.Name, out v) && v is null)
            {
                Add(problems, $"{at}.{column.Name}", column.IsKey ? $"key column '{column.Name}' cannot be null" : $"column '{column.Name}' is NOT NULL");
            }
        }

        return row;
    }

    private static bool TryConvert(JsonElement json, ColumnShape column, out object? value, out string error)
    {
        value = null;
        error = "";
        switch (json.ValueKind)
        {
            case JsonValueKind.Null:
                return true;
            case JsonValueKind.String when column.Affinity == Affinity.Blob:
                if (json.TryGetBytesFromBase64(out var bytes))
                {
                    value = bytes;
                    return true;
                }

                value = json.GetString();
                return true;
            case JsonValueKind.String when column.Affinity == Affinity.Text:
                value = json.GetString();
                return true;
            case JsonValueKind.Number when column.Affinity == Affinity.Integer:
                if (json.TryGetInt64(out long l))
                {
                    value = l;
                    return true;
                }

                error = $"column '{column.Name}' is INTEGER; {json.GetRawText()} is not a 64-bit integer";
                return false;
            case JsonValueKind.Number when column.Affinity is Affinity.Real or Affinity.Numeric or Affinity.Blob:
                value = json.TryGetInt64(out long n) && column.Affinity != Affinity.Real ? n : json.GetDouble();
                return true;
            case JsonValueKind.True or JsonValueKind.False when column.Affinity is Affinity.Integer or Affinity.Numeric:
                value = json.ValueKind == JsonValueKind.True ? 1L : 0L;
                return true;
            default:
                error = $"column '{column.Name}' expects {Expected(column.Affinity)}, got a JSON {json.ValueKind.ToString().ToLowerInvariant()}";
                return false;
        }
    }

    private static string Expected(Affinity affinity) => affinity switch
    {
        Affinity.Integer => "an integer (or true/false)",
        Affinity.Text => "a string",
        Affinity.Real => "a number",
        Affinity.Numeric => "a number (or true/false)",
        _ => "a string (base64 for bytes) or a number",
    };

    private static void Add(Dictionary<string, List<string>> problems, string key, string message)
    {
        if (!problems.TryGetValue(key, out var list))
        {
            problems[key] = list = [];
        }

        list.Add(message);
    }
}
