using System.Diagnostics;

namespace EdgeSync.Cli.Internal;

/// <summary>Prints "label: NN%" at most once a second (plain lines: fine for terminals and logs alike).</summary>
internal sealed class ProgressLine(TextWriter output, string label) : IProgress<double>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private TimeSpan _last = TimeSpan.Zero;
    private bool _printed;

    public void Report(double value)
    {
        lock (_gate)
        {
            if (_clock.Elapsed - _last < TimeSpan.FromSeconds(1) || value >= 1)
            {
                return;
            }

            _last = _clock.Elapsed;
            _printed = true;
            output.WriteLine($"  {label}: {value * 100:0}%");
        }
    }

    public void Done()
    {
        lock (_gate)
        {
            if (_printed)
            {
                output.WriteLine($"  {label}: 100%");
            }
        }
    }
}
