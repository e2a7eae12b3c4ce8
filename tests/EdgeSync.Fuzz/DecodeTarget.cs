using EdgeSync.Errors;
using EdgeSync.Protocol;

namespace EdgeSync.Fuzz;

/// <summary>
/// The wire decoder, <see cref="BatchCodec.Decode"/>. Inputs: valid batches mutated under and over the compression,
/// random bytes with and without the header, decompression bombs (small input, huge body) and amplification bombs
/// (a valid body whose rows are wide and empty). Invariants: only <see cref="InvalidBatchException"/>; bounded time and
/// allocation; a batch that decodes re-encodes to the same batch.
/// </summary>
public sealed class DecodeTarget : FuzzTarget
{
    private readonly BatchCorpus _corpus;
    private readonly bool _ownsCorpus;
    private byte[]? _amplification;
    private byte[]? _lz4Bomb;

    /// <summary>Creates the target over <paramref name="corpus"/> (built for <paramref name="seed"/> when null).</summary>
    public DecodeTarget(int seed, BatchCorpus? corpus = null, BatchLimits? limits = null)
    {
        _ownsCorpus = corpus is null;
        _corpus = corpus ?? BatchCorpus.Create(seed);
        Limits = limits ?? SmallLimits;
    }

    /// <summary>
    /// Limits the fuzz runs use: the defaults' shape at a quarter of the size, so a bomb costs milliseconds. The
    /// default limits are checked by the unit tests.
    /// </summary>
    public static BatchLimits SmallLimits { get; } = new() { MaxEncodedBytes = 4 * 1024 * 1024, MaxDecodedBytes = 16 * 1024 * 1024, MaxCells = 1_000_000 };

    /// <summary>The limits decoding enforces.</summary>
    public BatchLimits Limits { get; }

    /// <inheritdoc />
    public override string Name => "decode";

    /// <inheritdoc />
    public override long MaxAllocatedBytes => 16L * Limits.MaxDecodedBytes;

    /// <inheritdoc />
    public override byte[] Generate(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var encoded = _corpus.Encoded;
        byte[] seed = encoded[random.Next(encoded.Count)];
        byte[] donor = encoded[random.Next(encoded.Count)];
        return random.Next(20) switch
        {
            0 => seed,
            1 => RandomBytes(random, withHeader: random.Next(2) == 0),
            2 => Envelope.Bomb(Limits.MaxDecodedBytes + random.Next(1, 1 << 20)),
            3 => _amplification ??= AmplificationBomb(),
            4 => seed[..random.Next(seed.Length)], // truncated stream
            5 => _lz4Bomb ??= Envelope.Lz4Bomb(Limits.MaxDecodedBytes + 1),
            _ => Envelope.MutateInside(seed, random, donor),
        };
    }

    /// <inheritdoc />
    public override FuzzOutcome Execute(byte[] input)
    {
        ChangeBatch batch;
        try
        {
            batch = BatchCodec.Decode(input, Limits);
        }
        catch (InvalidBatchException e) when (!string.IsNullOrWhiteSpace(e.Message))
        {
            return FuzzOutcome.Refused;
        }

        if (batch.Tables.Sum(t => (long)t.RowCount * Math.Max(1, t.Columns.Count)) > 100_000)
        {
            return FuzzOutcome.Accepted; // too big to compare as text within the per-input budget
        }

        byte[] again = BatchCodec.Encode(batch);
        var twice = BatchCodec.Decode(again, BatchLimits.Default with { MaxEncodedBytes = int.MaxValue, MaxDecodedBytes = int.MaxValue });
        if (!BatchText.Show(batch).Equals(BatchText.Show(twice), StringComparison.Ordinal))
        {
            throw new FuzzViolation("a decoded batch does not survive encode + decode unchanged");
        }

        return FuzzOutcome.Accepted;
    }

    /// <summary>
    /// A valid batch that is small on the wire and in its body but wide in memory: rows of many NULL columns that all
    /// share one clock.
    /// </summary>
    public static byte[] AmplificationBomb(int columns = 2_000, int rows = 3_000)
    {
        var clock = new Clocks.CellClock(Clocks.Hlc.From(1_700_000_000_000, 0), BatchCorpus.Sources[0], 1, Clocks.Hlc.Zero, "");
        var names = Enumerable.Range(0, columns).Select(i => "c" + i).ToArray();
        var list = new List<RowChange>(rows);
        var clocks = new Clocks.CellClock[columns];
        Array.Fill(clocks, clock);
        var values = new object?[columns];
        for (int r = 0; r < rows; r++)
        {
            list.Add(new RowChange([(long)r], Merge.RowState.Alive(1, values, clocks)));
        }

        var batch = new ChangeBatch(BatchCorpus.Sources[0], Clocks.VersionVector.Empty, [], [new TableChangeSet("readings", names, ["c0"], list)]);
        return BatchCodec.Encode(batch);
    }

    private static byte[] RandomBytes(Random random, bool withHeader)
    {
        var bytes = new byte[random.Next(0, 512)];
        random.NextBytes(bytes);
        if (withHeader && bytes.Length >= 5)
        {
            "ESB1"u8.CopyTo(bytes);
            bytes[4] = (byte)random.Next(3);
        }

        return bytes;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownsCorpus)
        {
            _corpus.Dispose();
        }
    }
}
