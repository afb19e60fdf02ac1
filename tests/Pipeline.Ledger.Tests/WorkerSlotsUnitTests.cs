namespace Pipeline.Ledger.Tests;

public sealed class WorkerSlotsUnitTests
{
    [Fact]
    public void BusyPercent_NothingAcquired_IsZero()
    {
        using var slots = new WorkerSlots(4, TimeSpan.FromSeconds(1));

        Assert.Equal(0, slots.BusyPercent());
        Assert.Equal((0, 0), (slots.InFlight, slots.Waiting));
    }

    [Fact]
    public async Task BusyPercent_AllSlotsHeldLongerThanWindow_ReachesHundredThenFallsToZeroAfterRelease()
    {
        using var slots = new WorkerSlots(2, TimeSpan.FromMilliseconds(50));
        var leases = new[] { await slots.AcquireAsync(CancellationToken.None), await slots.AcquireAsync(CancellationToken.None) };

        // Cumulative held time grows at exactly the capacity once both are held for a full window.
        await PollAsync(() => slots.BusyPercent() >= 99.99);
        foreach (var lease in leases)
        {
            lease.Dispose();
        }

        await PollAsync(() => slots.BusyPercent() <= 0.01);
        Assert.Equal(2, slots.Completed);
    }

    [Fact]
    public async Task BusyPercent_HalfTheSlotsHeldLongerThanWindow_ReachesFifty()
    {
        using var slots = new WorkerSlots(4, TimeSpan.FromMilliseconds(50));
        var leases = new[] { await slots.AcquireAsync(CancellationToken.None), await slots.AcquireAsync(CancellationToken.None) };

        await PollAsync(() => Math.Abs(slots.BusyPercent() - 50) < 0.01);

        Assert.InRange(slots.BusyPercent(), 49.99, 50.01);
        foreach (var lease in leases)
        {
            lease.Dispose();
        }
    }

    [Fact]
    public async Task AcquireAsync_BeyondCapacity_WaitsUntilRelease()
    {
        using var slots = new WorkerSlots(1, TimeSpan.FromSeconds(1));
        var first = await slots.AcquireAsync(CancellationToken.None);

        var second = slots.AcquireAsync(CancellationToken.None);

        Assert.False(second.IsCompleted);
        Assert.Equal((1, 1), (slots.InFlight, slots.Waiting));
        first.Dispose();
        (await second).Dispose();
        Assert.Equal((0, 0, 2L), (slots.InFlight, slots.Waiting, slots.Completed));
    }

    private static async Task PollAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 20 s");
            await Task.Yield();
        }
    }
}
