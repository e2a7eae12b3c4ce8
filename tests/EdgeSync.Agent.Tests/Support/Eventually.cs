using System.Diagnostics;

namespace EdgeSync.Agent.Tests.Support;

/// <summary>Bounded polling: every wait in these tests has a deadline and says what it was waiting for.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60); // a liveness guard: a loaded CI machine runs every test project at once

    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? diagnostics = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? DefaultTimeout;
        while (!condition())
        {
            if (deadline.Elapsed > limit)
            {
                Assert.Fail($"timed out after {limit.TotalSeconds:0.#} s waiting for: {what}{(diagnostics is null ? "" : "\n" + diagnostics())}");
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<string>? diagnostics = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? DefaultTimeout;
        while (!await condition())
        {
            if (deadline.Elapsed > limit)
            {
                Assert.Fail($"timed out after {limit.TotalSeconds:0.#} s waiting for: {what}" + (diagnostics is null ? "" : "\n" + diagnostics()));
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
