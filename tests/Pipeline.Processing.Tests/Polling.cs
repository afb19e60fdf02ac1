using System.Diagnostics;

namespace Pipeline.Processing.Tests;

/// <summary>Waits for a condition with a deadline (polling, never a fixed sleep as a fix for a race).</summary>
internal static class Polling
{
    public static async Task UntilAsync(Func<bool> condition, TimeSpan within, Func<string> describe)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > within)
            {
                Assert.Fail($"timed out after {within.TotalSeconds:0} s: {describe()}");
            }
            // Re-check interval of a polled condition.
            await Task.Delay(50);
        }
    }
}
