using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Testing;

namespace Pipeline.PeerIndex.Tests;

public sealed class PeerLoadReporterTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Reporter_Running_PublishesLoadAndDeregistersOnStop()
    {
        var index = new IndexHarness(redis.Connection, o =>
        {
            o.ReportInterval = TimeSpan.FromMilliseconds(50);
            o.HeartbeatTtl = TimeSpan.FromSeconds(2);
        });
        var source = new MutableLoad { Load = new PeerLoad(12, 30, 1) };
        using var reporter = new PeerLoadReporter(
            index.Registry, source, IndexHarness.Peer("peer0"), Options.Create(index.Options), NullLogger<PeerLoadReporter>.Instance);

        await reporter.StartAsync(CancellationToken.None);
        Assert.True(await IndexHarness.EventuallyAsync(
            async () => (await index.SnapshotAsync()).TryGetValue("peer0", out var p) && p.Load == new PeerLoad(12, 30, 1),
            TimeSpan.FromSeconds(10)));

        source.Load = new PeerLoad(66, 10, 4);
        Assert.True(await IndexHarness.EventuallyAsync(
            async () => (await index.SnapshotAsync())["peer0"].Status == PeerStatus.Available,
            TimeSpan.FromSeconds(10)));

        await reporter.StopAsync(CancellationToken.None);
        Assert.DoesNotContain("peer0", (await index.SnapshotAsync()).Keys);
    }

    private sealed class MutableLoad : IPeerLoadSource
    {
        private readonly Lock _gate = new();
        private PeerLoad _load;

        public PeerLoad Load
        {
            set
            {
                lock (_gate)
                {
                    _load = value;
                }
            }
        }

        public PeerLoad ReadLoad()
        {
            lock (_gate)
            {
                return _load;
            }
        }
    }
}
