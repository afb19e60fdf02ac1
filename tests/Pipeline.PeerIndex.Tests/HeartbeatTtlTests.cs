using Pipeline.Testing;

namespace Pipeline.PeerIndex.Tests;

public sealed class HeartbeatTtlTests(RedisServer redis) : IClassFixture<RedisServer>
{
    // Long enough that p2, refreshed on every polling round, cannot expire between its last refresh and the assertions
    // when the machine stalls the test for a while (at 300-400 ms it did, under load); p1 still expires within seconds.
    private static readonly TimeSpan SilentPeerTtl = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Select_PeerStopsReporting_DropsOutAfterItsTtl()
    {
        var index = new IndexHarness(redis.Connection, o =>
        {
            o.HeartbeatTtl = SilentPeerTtl;
            o.ReportInterval = TimeSpan.FromMilliseconds(100);
        });
        await index.RegisterAsync(0, 30);
        var single = index.Selector(PeerSelectionStrategy.Single);
        Assert.Equal("p1", (await single.SelectAsync(CancellationToken.None)).PeerId);

        // p2 keeps reporting; p1 falls silent.
        var dropped = await IndexHarness.EventuallyAsync(
            async () => !(await index.SnapshotAsync()).ContainsKey("p1"),
            TimeSpan.FromSeconds(10),
            () => index.Registry.ReportAsync(IndexHarness.Peer("p2"), new PeerLoad(30, 0, 0), CancellationToken.None));

        Assert.True(dropped, "p1 should expire once its heartbeats stop");
        Assert.Contains("p2", (await index.SnapshotAsync()).Keys);
        Assert.Equal("p2", (await single.SelectAsync(CancellationToken.None)).PeerId);
        Assert.Equal("p2", (await index.Selector(PeerSelectionStrategy.DynamicThrottle).SelectAsync(CancellationToken.None)).PeerId);
    }

    [Fact]
    public async Task Report_ExpiredPeerReturns_RejoinsAtTheEndOfTheOrder()
    {
        var index = new IndexHarness(redis.Connection, o =>
        {
            o.HeartbeatTtl = SilentPeerTtl;
            o.ReportInterval = TimeSpan.FromMilliseconds(100);
        });
        await index.RegisterAsync(0, 0);
        var dropped = await IndexHarness.EventuallyAsync(
            async () => !(await index.SnapshotAsync()).ContainsKey("p1"),
            TimeSpan.FromSeconds(10),
            () => index.Registry.ReportAsync(IndexHarness.Peer("p2"), new PeerLoad(0, 0, 0), CancellationToken.None));
        Assert.True(dropped);

        await index.Registry.ReportAsync(IndexHarness.Peer("p1"), new PeerLoad(0, 0, 0), CancellationToken.None);

        var order = (await index.Registry.ListAsync(CancellationToken.None)).Select(p => p.PeerId).ToArray();
        Assert.Equal(["p2", "p1"], order);
    }

    [Fact]
    public async Task Report_FixedOrdinal_KeepsItsPlaceAfterExpiry()
    {
        var index = new IndexHarness(redis.Connection, o =>
        {
            o.HeartbeatTtl = SilentPeerTtl;
            o.ReportInterval = TimeSpan.FromMilliseconds(100);
        });
        var p1 = new PeerRegistration("p1", "Org1MSP", "embedded://p1", Ordinal: 1);
        var p2 = new PeerRegistration("p2", "Org1MSP", "embedded://p2", Ordinal: 2);
        await index.Registry.ReportAsync(p1, new PeerLoad(0, 0, 0), CancellationToken.None);
        await index.Registry.ReportAsync(p2, new PeerLoad(0, 0, 0), CancellationToken.None);
        Assert.True(await IndexHarness.EventuallyAsync(
            async () => !(await index.SnapshotAsync()).ContainsKey("p1"),
            TimeSpan.FromSeconds(10),
            () => index.Registry.ReportAsync(p2, new PeerLoad(0, 0, 0), CancellationToken.None)));

        await index.Registry.ReportAsync(p1, new PeerLoad(0, 0, 0), CancellationToken.None);

        Assert.Equal(["p1", "p2"], (await index.Registry.ListAsync(CancellationToken.None)).Select(p => p.PeerId).ToArray());
    }
}
