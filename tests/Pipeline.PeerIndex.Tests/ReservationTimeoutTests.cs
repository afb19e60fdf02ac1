using System.Diagnostics;
using Pipeline.Testing;

namespace Pipeline.PeerIndex.Tests;

public sealed class ReservationTimeoutTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Heartbeat_ReservationsNeverReportedRunning_AreDroppedAsLeakedAfterTheTimeout()
    {
        var index = new IndexHarness(redis.Connection, o => o.ReservationTimeout = Timeout);
        await index.RegisterAsync(0);
        await index.Selector(PeerSelectionStrategy.DynamicThrottle).SelectBatchAsync(3, null, CancellationToken.None);

        // The peer only ever runs one of the three: two clients died after reserving.
        var dropped = await IndexHarness.EventuallyAsync(
            async () => (await index.SnapshotAsync())["p1"].Reserved == 1,
            TimeSpan.FromSeconds(15),
            () => index.Registry.ReportAsync(IndexHarness.Peer("p1"), new PeerLoad(10, 0, 1), CancellationToken.None));

        Assert.True(dropped);
    }

    [Fact]
    public async Task Heartbeat_KeptReservationsReportedRunning_SurviveTheTimeoutThroughAMomentaryGap()
    {
        var index = new IndexHarness(redis.Connection, o => o.ReservationTimeout = Timeout);
        await index.RegisterAsync(0);
        await index.Selector(PeerSelectionStrategy.DynamicThrottle).SelectBatchAsync(3, null, CancellationToken.None);

        // Three workers keep their reservations well past the timeout; heartbeats see all three running.
        var clock = Stopwatch.StartNew();
        Assert.True(await IndexHarness.EventuallyAsync(
            () => Task.FromResult(clock.Elapsed > Timeout * 1.5),
            TimeSpan.FromSeconds(15),
            () => index.Registry.ReportAsync(IndexHarness.Peer("p1"), new PeerLoad(30, 0, 3), CancellationToken.None)));

        // One heartbeat lands while a worker is between two queries: two running, three reserved.
        await index.Registry.ReportAsync(IndexHarness.Peer("p1"), new PeerLoad(20, 0, 2), CancellationToken.None);

        var peer = (await index.SnapshotAsync())["p1"];
        Assert.Equal(3, peer.Reserved);
        Assert.Equal(30, peer.EffectiveLoadPercent);
    }
}
