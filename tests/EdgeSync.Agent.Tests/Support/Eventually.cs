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
        while (!await Within(condition(), limit - deadline.Elapsed, what, limit))
        {
            if (deadline.Elapsed > limit)
            {
                Assert.Fail($"timed out after {limit.TotalSeconds:0.#} s waiting for: {what}" + (diagnostics is null ? "" : "\n" + diagnostics()));
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>What a check may take even when the deadline is nearer: one that answers just after it still counts.</summary>
    private static readonly TimeSpan MinCheckTime = TimeSpan.FromSeconds(5);

    /// <summary>The condition's answer, or a failure naming <paramref name="what"/> when the condition itself does not return by the deadline (a read that blocks).</summary>
    private static async Task<bool> Within(Task<bool> check, TimeSpan left, string what, TimeSpan limit)
    {
        try
        {
            return await check.WaitAsync(left > MinCheckTime ? left : MinCheckTime, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException) when (!check.IsCompleted)
        {
            Assert.Fail($"timed out after {limit.TotalSeconds:0.#} s waiting for: {what} (the check itself did not return)");
            throw;
        }
    }
}
