using EdgeSync.Clocks;
using EdgeSync.Protocol;
using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// A relay that received an origin's batches out of order holds rows past a gap while its vector stops before the gap.
/// What it extracts for a third replica must not promise the gap, or that replica's vector would pass changes it never
/// received and nobody would send them again. (Found by the agent's flood test: pushes applied out of order on a hub,
/// then relayed to a factory with the table withheld, came back as a range covering the gap.)
/// </summary>
public sealed class RelayGapTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private Replica New(string site) => new(_dir.File(site + ".db"), site);

    private static List<ChangeBatch> ThreeBatches(Replica origin)
    {
        var batches = new List<ChangeBatch>();
        for (int b = 0; b < 3; b++)
        {
            for (int i = 1; i <= 10; i++)
            {
                origin.Exec("INSERT INTO readings VALUES ($1, 'd', 1, 1.0)", (long)(b * 10 + i));
            }

            origin.Db.Capture();
            var vector = VersionVector.Empty.With(origin.Site, b * 10);
            batches.Add(Assert.Single(origin.Db.GetChanges(vector, TestContext.Current.CancellationToken)));
        }

        return batches;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Relay_WithAGap_PromisesOnlyWhatItHolds_AndTheGapArrivesLater(bool withheld)
    {
        using var x = New("x");
        using var relay = New("relay");
        using var c = New("c");
        var batches = ThreeBatches(x);
        relay.Db.Apply(batches[0], cancellationToken: TestContext.Current.CancellationToken);
        relay.Db.Apply(batches[2], cancellationToken: TestContext.Current.CancellationToken); // out of order: rows 21-30 held, 11-20 not
        Assert.Equal(10, relay.Db.Vector["x"]);
        Func<string, bool>? filter = withheld ? t => t != "readings" : null;

        foreach (var batch in relay.Db.GetChanges(c.Db.Vector, filter, TestContext.Current.CancellationToken))
        {
            c.Db.Apply(batch, cancellationToken: TestContext.Current.CancellationToken);
        }

        Assert.Equal(10, c.Db.Vector["x"]); // not 30: rows 11-20 are still owed
        relay.Db.Apply(batches[1], cancellationToken: TestContext.Current.CancellationToken);
        relay.Db.Apply(batches[2], cancellationToken: TestContext.Current.CancellationToken); // its range is re-sent by the origin's next round, as a batch received early always is
        Assert.Equal(30, relay.Db.Vector["x"]);
        foreach (var batch in relay.Db.GetChanges(c.Db.Vector, filter, TestContext.Current.CancellationToken))
        {
            c.Db.Apply(batch, cancellationToken: TestContext.Current.CancellationToken);
        }

        Assert.Equal(30, c.Db.Vector["x"]);
        Assert.Equal(withheld ? 0L : 30L, c.Scalar("SELECT count(*) FROM readings"));
    }
}
