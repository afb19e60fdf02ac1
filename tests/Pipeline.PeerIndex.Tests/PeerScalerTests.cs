using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Testing;

namespace Pipeline.PeerIndex.Tests;

public sealed class PeerScalerTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task DynamicThrottle_NoCapacity_ScalerStartsAReplicaThatJoinsTheIndex()
    {
        var index = new IndexHarness(redis.Connection);
        await index.RegisterAsync(75, 80);
        var launcher = new RegisteringLauncher(index.Registry);
        using var scaler = new PeerScaler(
            launcher, Options.Create(new PeerScalerOptions { MaxReplicas = 1 }), NullLogger<PeerScaler>.Instance);
        var selector = index.Selector(PeerSelectionStrategy.DynamicThrottle, scaler);

        Assert.Equal(SelectionOutcome.NoCapacity, (await selector.SelectAsync(CancellationToken.None)).Outcome);

        PeerSelection selection = default;
        var served = await IndexHarness.EventuallyAsync(
            async () => (selection = await selector.SelectAsync(CancellationToken.None)).HasPeer,
            TimeSpan.FromSeconds(10));
        Assert.True(served, "the replica should join the index and take the query");
        Assert.Equal("replica1", selection.PeerId);
        Assert.Equal(["replica1"], scaler.StartedReplicas);
    }

    private sealed class RegisteringLauncher(RedisPeerRegistry registry) : IPeerReplicaLauncher
    {
        private int _started;

        public async Task<string> StartReplicaAsync(string peerGroup, CancellationToken cancellationToken)
        {
            var id = $"replica{Interlocked.Increment(ref _started)}";
            await registry.ReportAsync(IndexHarness.Peer(id), new PeerLoad(0, 5, 0), cancellationToken);
            return id;
        }
    }
}
