using System.Buffers;
using System.Security.Cryptography;
using EdgeSync.MicroBench;
using EdgeSync.Protocol;

namespace EdgeSync.Tests.Protocol;

/// <summary>
/// The bytes on the wire do not change when the encoder's internals do: agents of different versions read each
/// other's batches. The expected digests were taken from the encoder at commit 19a678c.
/// </summary>
public sealed class WireFormatTests
{
    public static TheoryData<string, int, string> Batches => new()
    {
        { "row states", SampleBatches.RowStateRows, "1BC1E655B28D0349EF92C0425FAED3F1BF6FAB255CCB3445EBDBF85314125FB5" },
        { "row states", 3, "D6A8F080C6EB412BF8D94C991FEF06E5EC8BBA40BAD842F5BD1BBE9D3894257D" },
        { "insert run", SampleBatches.RunRows, "A9AA49E8E7D3E66D8D32FF8C2009CF22DC1A6927143B9043FE118CA92932842E" },
        { "insert run", 3, "E0BF15D5D0475E9154A7CA6AB5750C3C6AC2D41E7EE1EA44530D8ACE199B54D8" },
    };

    private static ChangeBatch Sample(string kind, int rows) =>
        kind == "row states" ? SampleBatches.RowStates(rows) : SampleBatches.InsertRun(rows);

    [Theory]
    [MemberData(nameof(Batches))]
    public void Encode_IsByteIdenticalToEarlierVersions(string kind, int rows, string sha256)
    {
        byte[] bytes = BatchCodec.Encode(Sample(kind, rows));
        Assert.Equal(sha256, Convert.ToHexString(SHA256.HashData(bytes)));
    }

    [Theory]
    [MemberData(nameof(Batches))]
    public void EncodeToBufferWriter_WritesTheSameBytes(string kind, int rows, string sha256)
    {
        var output = new ArrayBufferWriter<byte>(16);
        output.Write("prefix"u8);
        int n = BatchCodec.Encode(Sample(kind, rows), output);

        Assert.Equal(output.WrittenCount - 6, n);
        Assert.Equal("prefix"u8.ToArray(), output.WrittenSpan[..6].ToArray());
        Assert.Equal(sha256, Convert.ToHexString(SHA256.HashData(output.WrittenSpan[6..])));
    }

    [Theory]
    [MemberData(nameof(Batches))]
    public void Decode_ThenEncode_GivesBackTheSameBytes(string kind, int rows, string sha256)
    {
        byte[] bytes = BatchCodec.Encode(Sample(kind, rows));
        var decoded = BatchCodec.Decode(bytes);

        Assert.Equal(rows, decoded.RowCount);
        Assert.Equal(sha256, Convert.ToHexString(SHA256.HashData(BatchCodec.Encode(decoded))));
    }
}
