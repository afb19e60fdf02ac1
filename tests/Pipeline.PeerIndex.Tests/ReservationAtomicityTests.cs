using Pipeline.Testing;
using StackExchange.Redis;

namespace Pipeline.PeerIndex.Tests;

public sealed class ReservationAtomicityTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task SelectBatch_SixteenConcurrentClients_NeverOverReserveAPeer()
    {
        var index = new IndexHarness(redis.Connection);
        await index.RegisterAsync(0, 35, 65, 72);
        // Capacity below the 70 % available line, 10 % per query: 7 + 4 + 1 + 0 lookups.
        int[] capacity = [7, 4, 1, 0];
        var clients = new List<ConnectionMultiplexer>();
        try
        {
            for (var c = 0; c < 16; c++)
            {
                clients.Add(await ConnectionMultiplexer.ConnectAsync(redis.CreateConfiguration()));
            }

            using var start = new ManualResetEventSlim(false);
            var tasks = clients.Select((client, c) => Task.Run(async () =>
            {
                var selector = index.Selector(PeerSelectionStrategy.DynamicThrottle, redis: client);
                start.Wait();
                var granted = new List<string>();
                for (var round = 0; round < 10; round++)
                {
                    var batch = await selector.SelectBatchAsync(1 + ((c + round) % 3), null, CancellationToken.None);
                    granted.AddRange(batch.Where(s => s.HasPeer).Select(s => s.PeerId!));
                }

                return granted;
            })).ToArray();
            start.Set();
            var granted = (await Task.WhenAll(tasks)).SelectMany(g => g).ToList();

            var peers = await index.SnapshotAsync();
            for (var i = 0; i < capacity.Length; i++)
            {
                var id = $"p{i + 1}";
                Assert.Equal(capacity[i], granted.Count(g => g == id));
                Assert.Equal(capacity[i], peers[id].Reserved);
                Assert.True(peers[id].EffectiveLoadPercent <= index.Options.OverloadLinePercent, $"{id} at {peers[id].EffectiveLoadPercent} %");
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task SelectAndRelease_SixteenClientsChurning_ReservationsBalanceToZero()
    {
        var index = new IndexHarness(redis.Connection);
        await index.RegisterAsync(0, 0, 0, 0);
        var maxSeen = 0;
        var tasks = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            var selector = index.Selector(PeerSelectionStrategy.DynamicThrottle);
            for (var round = 0; round < 25; round++)
            {
                var batch = await selector.SelectBatchAsync(4, null, CancellationToken.None);
                var releases = batch.Where(s => s.HasPeer).GroupBy(s => s.PeerId!).Select(g => new PeerRelease(g.Key, g.Count())).ToList();
                var peers = await index.Registry.ListAsync(CancellationToken.None);
                InterlockedMax(ref maxSeen, peers.Max(p => p.Reserved));
                await selector.ReleaseBatchAsync(releases, CancellationToken.None);
            }
        })).ToArray();

        await Task.WhenAll(tasks);

        var final = await index.SnapshotAsync();
        Assert.All(final.Values, p => Assert.Equal(0, p.Reserved));
        Assert.InRange(maxSeen, 1, 7);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
