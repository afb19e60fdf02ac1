namespace Pipeline.Federation.Tests;

/// <summary>Polls a condition until it holds or a deadline passes (the way these tests wait on the services' threads).</summary>
internal static class Eventually
{
    /// <summary>Returns once <paramref name="condition"/> is true; fails the test naming <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Waited {timeout.TotalSeconds:F0} s for {what()}.");
            await Task.Delay(25);
        }
    }
}
