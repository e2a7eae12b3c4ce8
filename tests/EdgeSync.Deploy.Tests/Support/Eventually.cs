using System.Diagnostics;

namespace EdgeSync.Deploy.Tests.Support;

/// <summary>Bounded polling: every wait has a deadline and says what it waited for.</summary>
public static class Eventually
{
    public static async Task<T> GetAsync<T>(Func<Task<T?>> probe, string what, TimeSpan timeout, Func<string>? diagnostics = null)
        where T : class
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"timed out after {timeout.TotalSeconds:0} s waiting for: {what}{(diagnostics is null ? "" : "\n" + diagnostics())}");
            }

            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }
}
