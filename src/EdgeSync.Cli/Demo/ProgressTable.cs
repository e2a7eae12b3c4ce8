using System.Text;
using EdgeSync.Cli.Internal;

namespace EdgeSync.Cli.Demo;

/// <summary>
/// The live progress, one line per second: telemetry written, rows at HQ and HQ's lag, and per factory the rows every
/// one of its replicas holds and its lag (written by the factory minus that). Beyond a few factories, the factories'
/// synced rows are summed and only the worst lag is shown. Rows are counted before "written" is read, so a lag is never understated.
/// </summary>
internal sealed class ProgressTable(DemoFleet fleet, TelemetryFeed feed, TextWriter output)
{
    private const int FactoryColumns = 4;
    private const int Width = 11;

    private bool Wide => fleet.Factories.Count <= FactoryColumns;

    public void PrintHeader()
    {
        var line = new StringBuilder($"{"time",6}  {"written",Width}  {"at HQ",Width}  {"HQ lag",Width}");
        if (Wide)
        {
            for (int f = 1; f <= fleet.Factories.Count; f++)
            {
                line.Append($"  {DemoSite.FactoryName(f),Width}  {"lag",Width}");
            }
        }
        else
        {
            line.Append($"  {"synced",Width}  {"worst lag",Width}  slowest factory");
        }

        output.WriteLine(line.ToString());
    }

    public void PrintLine(TimeSpan at)
    {
        long atHq = Count(fleet.Hub);
        var synced = fleet.Factories.Select(replicas => replicas.Min(Count)).ToList();
        var written = Enumerable.Range(1, fleet.Factories.Count).Select(feed.WrittenBy).ToList();
        long total = written.Sum();
        var line = new StringBuilder($"{at.TotalSeconds,5:0}s  {Format.N(total),Width}  {Format.N(atHq),Width}  {Format.N(Math.Max(0, total - atHq)),Width}");
        var lags = synced.Select((s, i) => Math.Max(0, written[i] - s)).ToList();
        if (Wide)
        {
            for (int i = 0; i < synced.Count; i++)
            {
                line.Append($"  {Format.N(synced[i]),Width}  {Format.N(lags[i]),Width}");
            }
        }
        else
        {
            int slowest = lags.IndexOf(lags.Max());
            line.Append($"  {Format.N(synced.Sum()),Width}  {Format.N(lags[slowest]),Width}  {DemoSite.FactoryName(slowest + 1)}");
        }

        output.WriteLine(line.ToString());
    }

    /// <summary>An event between progress lines, e.g. HQ's config change.</summary>
    public void PrintEvent(TimeSpan at, string text) => output.WriteLine($"{at.TotalSeconds,5:0.0}s  {text}");

    private static long Count(DemoSite site)
    {
        using var connection = SiteDatabase.Open(site.Path);
        return SiteDatabase.CountTelemetry(connection);
    }
}
