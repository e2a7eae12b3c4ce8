using EdgeSync.Merge;

namespace EdgeSync.Internal;

/// <summary>Equality for (table id, stored key) pairs, where a stored key may be a blob.</summary>
internal sealed class KeyComparer : IEqualityComparer<(int Tid, object Key)>
{
    public static readonly KeyComparer Instance = new();

    public bool Equals((int Tid, object Key) x, (int Tid, object Key) y) => x.Tid == y.Tid && SqlValue.AreEqual(x.Key, y.Key);

    public int GetHashCode((int Tid, object Key) obj) => HashCode.Combine(obj.Tid, obj.Key switch
    {
        byte[] b => HashBytes(b),
        var k => k.GetHashCode(),
    });

    private static int HashBytes(byte[] b)
    {
        var h = new HashCode();
        h.AddBytes(b);
        return h.ToHashCode();
    }
}
