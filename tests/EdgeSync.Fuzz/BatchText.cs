using System.Globalization;
using EdgeSync.Protocol;

namespace EdgeSync.Fuzz;

/// <summary>A canonical text form of a batch, to compare two batches.</summary>
public static class BatchText
{
    /// <summary>Everything in <paramref name="batch"/>, as text.</summary>
    public static string Show(ChangeBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var head = $"{batch.Sender} {batch.SenderVector} {string.Join(",", batch.Ranges)} ";
        return head + string.Join("|", batch.Tables.Select(t =>
            $"{t.Table}({string.Join(",", t.Columns)};{string.Join(",", t.KeyColumns)}) " + string.Join(";", t.AllRows().Select(ShowRow))));
    }

    private static string ShowRow(RowChange r)
    {
        var values = r.State.Values?.Select(Value) ?? [];
        return $"{string.Join(",", r.Key.Select(Value))} cl={r.State.CausalLength} "
            + $"{string.Join(",", r.State.Clocks.Select(c => $"{c.Hlc.Value}@{c.Site}:{c.Seq}<{c.PrevHlc.Value}@{c.PrevSite}"))} {string.Join(",", values)}";
    }

    private static string Value(object? v) => v switch
    {
        null => "NULL",
        byte[] b => "x" + Convert.ToHexString(b),
        double d => "r" + BitConverter.DoubleToInt64Bits(d).ToString(CultureInfo.InvariantCulture),
        long l => "i" + l.ToString(CultureInfo.InvariantCulture),
        string s => "t" + s,
        _ => "?" + v,
    };
}
