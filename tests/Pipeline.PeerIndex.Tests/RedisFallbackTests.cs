using Pipeline.Testing;
using StackExchange.Redis;

namespace Pipeline.PeerIndex.Tests;

public sealed class RedisFallbackTests
{
    [Fact]
    public async Task Select_RedisStoppedThenRestarted_FallsBackToRoundRobinAndRecovers()
    {
        await using var server = new RedisServer();
        await server.StartAsync();
        await using var client = await ConnectionMultiplexer.ConnectAsync(server.CreateConfiguration());
        var index = new IndexHarness(client, o => o.RedisProbeInterval = TimeSpan.FromMilliseconds(50));
        var peers = await index.RegisterAsync(10, 20, 30);
        var selector = index.Selector(PeerSelectionStrategy.DynamicThrottle);
        Assert.Equal(SelectionOutcome.Reserved, (await selector.SelectAsync(CancellationToken.None)).Outcome);
        Assert.Equal(peers, selector.KnownPeers);

        await server.StopAsync();
        var during = await selector.SelectBatchAsync(6, null, CancellationToken.None);
        var more = await selector.SelectAsync(CancellationToken.None);

        Assert.True(selector.IsInFallback);
        Assert.All(during, s => Assert.Equal(SelectionOutcome.Fallback, s.Outcome));
        Assert.Equal(["p1", "p2", "p3", "p1", "p2", "p3", "p1"], during.Append(more).Select(s => s.PeerId!).ToArray());
        Assert.Equal(7, selector.FallbackLookups);
        Assert.Equal(1, selector.FallbackEntries);

        // Releases during the outage are dropped, not thrown.
        await selector.ReleaseAsync(during[0], new PeerLoad(5, 5, 0), CancellationToken.None);

        await server.RestartAsync();
        var recovered = await IndexHarness.EventuallyAsync(
            async () => (await selector.SelectAsync(CancellationToken.None)).Outcome == SelectionOutcome.Reserved,
            TimeSpan.FromSeconds(30),
            async () =>
            {
                // The peers' reporters re-register them once Redis answers again.
                try
                {
                    await index.RegisterAsync(10, 20, 30);
                }
                catch (RedisConnectionException)
                {
                }
            });

        Assert.True(recovered, "the selector should return to Redis after the restart");
        Assert.False(selector.IsInFallback);
        Assert.Equal(1, selector.Recoveries);
        Assert.Equal(1, selector.FallbackEntries);
    }

    [Fact]
    public async Task Select_RedisDownBeforeAnyPeerWasSeen_ReturnsNoCapacity()
    {
        await using var server = new RedisServer();
        await server.StartAsync();
        await using var client = await ConnectionMultiplexer.ConnectAsync(server.CreateConfiguration());
        var index = new IndexHarness(client);
        var selector = index.Selector(PeerSelectionStrategy.RoundRobin);

        await server.StopAsync();
        var selection = await selector.SelectAsync(CancellationToken.None);

        Assert.Equal(SelectionOutcome.NoCapacity, selection.Outcome);
        Assert.True(selector.IsInFallback);
    }
}
