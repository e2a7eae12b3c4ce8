using System.Text;
using System.Text.Json;

namespace EdgeSync.Fuzz;

/// <summary>
/// Structure-aware ingest requests: a JSON array of row objects for a (sometimes unknown) table, with the table's
/// columns (sometimes unknown, missing, duplicated, in another case), and values of every JSON kind including
/// numbers that fit no SQLite type (1e400, 2^64), deep nesting, long strings and base64. Then, sometimes, byte-level
/// mutations of the text. An input is <c>table</c>, a newline, then the request body.
/// </summary>
public static class IngestJson
{
    private static readonly string[] RawNumbers =
    [
        "0", "-0", "1", "-1", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
        "1.5", "-2.25e3", "1e400", "-1e400", "1e-400", "4.9e-324", "1.7976931348623157e308", "123456789012345678901234567890",
        "0.1e1", "1E+2",
    ];

    private static readonly string[] Strings =
    [
        "", "a", "dev-1", "AAECAw==", "not base64!", "\u0000", "\ud83d\ude00", "'; DROP TABLE readings; --", "\"", "2026-01-01T00:00:00Z",
    ];

    /// <summary>A new input.</summary>
    public static byte[] Generate(Random random, int maxRows)
    {
        ArgumentNullException.ThrowIfNull(random);
        var tables = ScratchSchema.Columns.Keys.ToArray();
        string table = random.Next(12) == 0 ? (random.Next(2) == 0 ? "nope" : "_edgesync_log") : tables[random.Next(tables.Length)];
        var columns = ScratchSchema.Columns.TryGetValue(table, out var c) ? c : ["id"];
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            int kind = random.Next(20);
            if (kind == 0)
            {
                WriteValue(w, random, depth: 0); // not an array
            }
            else
            {
                w.WriteStartArray();
                int rows = kind == 1 ? 0 : kind == 2 ? maxRows + 1 : random.Next(1, 6);
                for (int r = 0; r < rows; r++)
                {
                    if (random.Next(15) == 0)
                    {
                        WriteValue(w, random, depth: 0); // a row that is not an object
                        continue;
                    }

                    w.WriteStartObject();
                    foreach (var column in columns)
                    {
                        if (random.Next(20) == 0)
                        {
                            continue; // missing column
                        }

                        string name = random.Next(25) switch
                        {
                            0 => column.ToUpperInvariant(),
                            1 => "unknown_" + column,
                            _ => column,
                        };
                        w.WritePropertyName(name);
                        WriteValue(w, random, depth: 0, likely: column);
                        if (random.Next(20) == 0)
                        {
                            w.WritePropertyName(column); // duplicate
                            WriteValue(w, random, depth: 0, likely: column);
                        }
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }
        }

        byte[] json = buffer.ToArray();
        if (random.Next(6) == 0)
        {
            json = ByteMutator.Mutate(json, random);
        }

        return [.. Encoding.UTF8.GetBytes(table + "\n"), .. json];
    }

    /// <summary>Splits an input into its table and body.</summary>
    public static (string Table, byte[] Body) Split(byte[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int nl = Array.IndexOf(input, (byte)'\n');
        return nl < 0 ? ("", input) : (Encoding.UTF8.GetString(input, 0, nl), input[(nl + 1)..]);
    }

    private static void WriteValue(Utf8JsonWriter w, Random random, int depth, string? likely = null)
    {
        int pick = likely is not null && random.Next(4) != 0 ? -1 : random.Next(10);
        switch (pick)
        {
            case 0:
                w.WriteNullValue();
                break;
            case 1:
                w.WriteBooleanValue(random.Next(2) == 0);
                break;
            case 2:
                w.WriteRawValue(RawNumbers[random.Next(RawNumbers.Length)], skipInputValidation: true);
                break;
            case 3:
                w.WriteStringValue(Strings[random.Next(Strings.Length)]);
                break;
            case 4:
                w.WriteStringValue(new string('x', random.Next(0, 70_000)));
                break;
            case 5 when depth < 70:
                int nest = random.Next(1, random.Next(2) == 0 ? 4 : 80);
                for (int i = 0; i < nest; i++)
                {
                    w.WriteStartArray();
                }

                for (int i = 0; i < nest; i++)
                {
                    w.WriteEndArray();
                }

                break;
            case 6 when depth < 3:
                w.WriteStartObject();
                w.WritePropertyName("k");
                WriteValue(w, random, depth + 1);
                w.WriteEndObject();
                break;
            case 7:
                w.WriteNumberValue(random.NextInt64());
                break;
            case 8:
                w.WriteNumberValue(random.NextDouble() * 1e6);
                break;
            default: // a plausible value for the column
                if (likely is "device" or "key" or "value" or "owner" or "tenant" or "name" or "b")
                {
                    w.WriteStringValue("s" + random.Next(100));
                }
                else if (likely is "c")
                {
                    w.WriteBase64StringValue(new byte[] { 1, 2, (byte)random.Next(256) });
                }
                else
                {
                    w.WriteNumberValue(random.Next(0, 10_000));
                }

                break;
        }
    }
}
