namespace EdgeSync.Fuzz;

/// <summary>
/// Format-agnostic mutations of a byte string: bit flips, interesting bytes, truncation, deleted and duplicated regions,
/// splices with another input, inserted random bytes, and inflated length prefixes (a LEB128 varint of a huge value
/// written over any position, which is how a hostile sender declares a length or count it does not send).
/// </summary>
public static class ByteMutator
{
    private static readonly ulong[] HugeValues =
    [
        0x7F, 0x80, 0xFF, 0x3FFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000,
        long.MaxValue, ulong.MaxValue, 100_001, 2_001, 10_001, 64 * 1024 * 1024 + 1,
    ];

    private static readonly byte[] Interesting = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x7F, 0x80, 0xFE, 0xFF];

    /// <summary>Applies 1–<paramref name="maxMutations"/> random mutations; <paramref name="donor"/> feeds splices.</summary>
    public static byte[] Mutate(byte[] input, Random random, byte[]? donor = null, int maxMutations = 4)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(random);
        var data = new List<byte>(input);
        int n = random.Next(1, maxMutations + 1);
        for (int m = 0; m < n; m++)
        {
            MutateOnce(data, random, donor);
        }

        return [.. data];
    }

    private static void MutateOnce(List<byte> data, Random random, byte[]? donor)
    {
        int Pos() => data.Count == 0 ? 0 : random.Next(data.Count);
        switch (random.Next(9))
        {
            case 0 when data.Count > 0:
                int p = Pos();
                data[p] ^= (byte)(1 << random.Next(8));
                break;
            case 1 when data.Count > 0:
                data[Pos()] = Interesting[random.Next(Interesting.Length)];
                break;
            case 2:
                int cut = random.Next(data.Count + 1);
                data.RemoveRange(cut, data.Count - cut);
                break;
            case 3 when data.Count > 1:
                int start = Pos();
                data.RemoveRange(start, random.Next(1, Math.Min(64, data.Count - start) + 1));
                break;
            case 4 when data.Count > 1:
                int from = Pos();
                var region = data.GetRange(from, random.Next(1, Math.Min(256, data.Count - from) + 1));
                data.InsertRange(Pos(), region);
                break;
            case 5 when donor is { Length: > 0 }:
                int keep = random.Next(data.Count + 1);
                int dfrom = random.Next(donor.Length);
                data.RemoveRange(keep, data.Count - keep);
                data.AddRange(donor.AsSpan(dfrom, random.Next(1, donor.Length - dfrom + 1)).ToArray());
                break;
            case 6:
                var bytes = new byte[random.Next(1, 16)];
                random.NextBytes(bytes);
                data.InsertRange(random.Next(data.Count + 1), bytes);
                break;
            case 7:
                int at = random.Next(data.Count + 1);
                var varint = VarInt(HugeValues[random.Next(HugeValues.Length)]);
                int overwrite = Math.Min(random.Next(0, varint.Length + 1), data.Count - at);
                data.RemoveRange(at, overwrite);
                data.InsertRange(at, varint);
                break;
            default:
                if (data.Count > 0)
                {
                    data[Pos()] = (byte)random.Next(256);
                }

                break;
        }
    }

    /// <summary>The LEB128 encoding of <paramref name="value"/>.</summary>
    public static byte[] VarInt(ulong value)
    {
        var list = new List<byte>(10);
        do
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            list.Add(value != 0 ? (byte)(b | 0x80) : b);
        }
        while (value != 0);
        return [.. list];
    }
}
