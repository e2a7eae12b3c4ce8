using EdgeSync.Internal;

namespace EdgeSync.Storage;

/// <summary>
/// Turns a primary key into the single value stored in <c>_edgesync_rows.pk</c> and <c>_edgesync_log.pk</c>:
/// the value itself for a one-column key, a deterministic binary encoding for a composite key.
/// </summary>
internal static class KeyCodec
{
    public static object ToStored(ReadOnlySpan<object?> key, ByteWriter scratch)
    {
        if (key.Length == 1)
        {
            return key[0] ?? throw new ArgumentException("a primary key value cannot be NULL");
        }

        scratch.Clear();
        foreach (var v in key)
        {
            scratch.WriteValue(v);
        }

        return scratch.ToArray();
    }

    public static object?[] FromStored(object stored, int keyColumns)
    {
        if (keyColumns == 1)
        {
            return [stored];
        }

        var r = new ByteReader((byte[])stored);
        var key = new object?[keyColumns];
        for (int i = 0; i < keyColumns; i++)
        {
            key[i] = r.ReadValue();
        }

        return key;
    }
}
