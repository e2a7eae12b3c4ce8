using System.Buffers;
using System.Text.Json;
using EdgeSync.Protocol;

namespace EdgeSync.Agent.Export;

/// <summary>
/// Turns one extracted <see cref="ChangeBatch"/> into export messages, per table and origin a chain in sequence
/// order. A row belongs to the origin and sequence of its newest change (a delete's clock for a deleted row); it is
/// exported when that sequence is above the table's cursor for the origin and within the batch's range for it —
/// otherwise the row was exported with this state already, or it is exported when that origin's range is extracted.
/// Pure: no I/O.
/// </summary>
internal sealed class ExportBatchBuilder(int maxRows, int maxBytes)
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    /// <summary>
    /// The message chains of <paramref name="batch"/> (one list per table and origin, in order) and the positions
    /// every exported table reaches for each origin the batch covers once all of them are in the stream.
    /// </summary>
    public (List<List<ExportMessage>> Chains, List<ExportPosition> Reached) Build(
        ChangeBatch batch, IReadOnlyCollection<string> tables, Func<string, string, long> cursor, Func<string, int> schemaVersion)
    {
        var rangeTo = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var r in batch.Ranges)
        {
            rangeTo[r.Site] = Math.Max(r.To, rangeTo.GetValueOrDefault(r.Site));
        }

        var chains = new List<List<ExportMessage>>();
        foreach (var set in batch.Tables)
        {
            if (!tables.Contains(set.Table))
            {
                continue;
            }

            var bySite = new Dictionary<string, List<Entry>>(StringComparer.Ordinal);
            foreach (var run in set.Runs)
            {
                if (!rangeTo.TryGetValue(run.Site, out long to))
                {
                    continue;
                }

                long from = cursor(set.Table, run.Site);
                for (int i = 0; i < run.Count; i++)
                {
                    long seq = run.SeqAt(i);
                    if (seq > from && seq <= to)
                    {
                        Add(bySite, run.Site, new Entry(seq, run, i, default));
                    }
                }
            }

            foreach (var row in set.Rows)
            {
                var newest = row.State.Newest;
                if (rangeTo.TryGetValue(newest.Site, out long to) && newest.Seq > cursor(set.Table, newest.Site) && newest.Seq <= to)
                {
                    Add(bySite, newest.Site, new Entry(newest.Seq, null, 0, row));
                }
            }

            foreach (var (site, entries) in bySite)
            {
                entries.Sort(static (a, b) => a.Seq.CompareTo(b.Seq));
                chains.Add(Encode(set, site, entries, cursor(set.Table, site), rangeTo[site], schemaVersion(set.Table)));
            }
        }

        var reached = new List<ExportPosition>();
        foreach (var table in tables)
        {
            foreach (var (site, to) in rangeTo)
            {
                reached.Add(new ExportPosition(table, site, to));
            }
        }

        return (chains, reached);
    }

    private static void Add(Dictionary<string, List<Entry>> bySite, string site, Entry entry)
    {
        if (!bySite.TryGetValue(site, out var list))
        {
            bySite[site] = list = [];
        }

        list.Add(entry);
    }

    private List<ExportMessage> Encode(TableChangeSet set, string site, List<Entry> entries, long from, long to, int schemaVersion)
    {
        var messages = new List<ExportMessage>();
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);
        var names = set.Columns.Select(c => JsonEncodedText.Encode(c)).ToArray();
        var keyIndexes = set.KeyColumns.Select(k => IndexOf(set.Columns, k)).ToArray();
        long start = from;
        int rows = 0;
        for (int e = 0; e < entries.Count; e++)
        {
            var entry = entries[e];
            WriteRow(writer, names, keyIndexes, set.KeyColumns, entry);
            writer.Flush();
            buffer.Write("\n"u8);
            writer.Reset();
            rows++;
            bool last = e == entries.Count - 1;
            if (last || rows >= maxRows || buffer.WrittenCount >= maxBytes)
            {
                long end = last ? to : entry.Seq;
                messages.Add(new ExportMessage(set.Table, site, start, end, rows, buffer.WrittenMemory.ToArray(), schemaVersion));
                buffer.Clear();
                start = end;
                rows = 0;
            }
        }

        return messages;
    }

    private static void WriteRow(Utf8JsonWriter w, JsonEncodedText[] names, int[] keyIndexes, IReadOnlyList<string> keyColumns, Entry entry)
    {
        w.WriteStartObject();
        if (entry.Run is { } run)
        {
            w.WriteString("$op"u8, "insert"u8);
            w.WriteNumber("$seq"u8, entry.Seq);
            w.WriteNumber("$ts"u8, run.Hlc.Milliseconds);
            for (int c = 0; c < names.Length; c++)
            {
                w.WritePropertyName(names[c]);
                WriteColumnValue(w, run.Columns[c], entry.Index);
            }
        }
        else
        {
            var state = entry.Row.State;
            w.WriteString("$op"u8, state.IsDeleted ? "delete"u8 : "upsert"u8);
            w.WriteNumber("$seq"u8, entry.Seq);
            w.WriteNumber("$ts"u8, state.Newest.Hlc.Milliseconds);
            if (state.Values is { } values)
            {
                for (int c = 0; c < names.Length; c++)
                {
                    w.WritePropertyName(names[c]);
                    WriteValue(w, values[c]);
                }
            }
            else
            {
                for (int k = 0; k < keyColumns.Count; k++)
                {
                    w.WritePropertyName(keyIndexes[k] >= 0 ? names[keyIndexes[k]] : JsonEncodedText.Encode(keyColumns[k]));
                    WriteValue(w, entry.Row.Key[k]);
                }
            }
        }

        w.WriteEndObject();
    }

    private static void WriteColumnValue(Utf8JsonWriter w, ColumnVector column, int i)
    {
        switch (column.TypeAt(i))
        {
            case 1: // integer
                w.WriteNumberValue(column.Int64At(i));
                break;
            case 2: // real
                WriteDouble(w, column.DoubleAt(i));
                break;
            case 3: // text (UTF-8)
                w.WriteStringValue(column.BytesAt(i));
                break;
            case 4: // blob
                w.WriteBase64StringValue(column.BytesAt(i));
                break;
            default:
                w.WriteNullValue();
                break;
        }
    }

    private static void WriteValue(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null:
                w.WriteNullValue();
                break;
            case long l:
                w.WriteNumberValue(l);
                break;
            case double d:
                WriteDouble(w, d);
                break;
            case string s:
                w.WriteStringValue(s);
                break;
            case byte[] b:
                w.WriteBase64StringValue(b);
                break;
            default:
                w.WriteStringValue(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>JSON has no NaN or infinities: they are written as null.</summary>
    private static void WriteDouble(Utf8JsonWriter w, double d)
    {
        if (double.IsFinite(d))
        {
            w.WriteNumberValue(d);
        }
        else
        {
            w.WriteNullValue();
        }
    }

    private static int IndexOf(IReadOnlyList<string> columns, string name)
    {
        for (int i = 0; i < columns.Count; i++)
        {
            if (string.Equals(columns[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    private readonly record struct Entry(long Seq, InsertRun? Run, int Index, RowChange Row);
}
