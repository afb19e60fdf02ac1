using System.Text;
using Pipeline.Chaincode;

namespace Pipeline.Ledger.Tests;

public sealed class WorkerSlotsTests
{
    [Fact]
    public async Task EvaluateAsync_OneMoreThanSlots_OneWaitsAndLoadReportsInFlight()
    {
        using var temp = new TestLedger();
        var contract = new GateContract();
        await using var network = await LedgerNetwork.StartAsync(temp.Options(peers: 1, slots: 2), contract);
        var peer = network.Peers[0];

        var calls = Enumerable.Range(0, 3)
            .Select(_ => peer.EvaluateAsync("Hold", [], TestLedger.User, CancellationToken.None))
            .ToList();
        var saturated = await PollAsync(() => peer.GetLoad(), l => l.InFlight == 2 && l.Waiting == 1 && contract.Entered == 2);

        Assert.True(saturated.CpuPercent > 0, $"busy slots should show CPU load, got {saturated.CpuPercent}");
        Assert.Equal(2, saturated.WorkerSlots);

        contract.Release(3);
        var payloads = await Task.WhenAll(calls);
        var idle = await PollAsync(() => peer.GetLoad(), l => l.InFlight == 0 && l.Waiting == 0);

        Assert.All(payloads, p => Assert.Equal("held", Encoding.UTF8.GetString(p)));
        Assert.Equal(3, idle.CompletedRequests);
        Assert.Equal(3, contract.Entered);
    }

    [Fact]
    public async Task EvaluateAsync_CancelledWhileWaitingForSlot_LeavesQueueAndThrows()
    {
        using var temp = new TestLedger();
        var contract = new GateContract();
        await using var network = await LedgerNetwork.StartAsync(temp.Options(peers: 1, slots: 1), contract);
        var peer = network.Peers[0];
        var holding = peer.EvaluateAsync("Hold", [], TestLedger.User, CancellationToken.None);
        await PollAsync(() => peer.GetLoad(), l => l.InFlight == 1);
        using var cts = new CancellationTokenSource();

        var waiting = peer.EvaluateAsync("Hold", [], TestLedger.User, cts.Token);
        await PollAsync(() => peer.GetLoad(), l => l.Waiting == 1);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, peer.GetLoad().Waiting);
        contract.Release(1);
        await holding;
        Assert.Equal(1, contract.Entered);
    }

    private static async Task<PeerLoad> PollAsync(Func<PeerLoad> sample, Func<PeerLoad, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var load = sample();
            if (condition(load))
            {
                return load;
            }

            Assert.True(DateTime.UtcNow < deadline, $"condition not reached; last load {load}");
            await Task.Yield();
        }
    }

    /// <summary>A contract whose only function blocks until the test releases it: a genuinely slow evaluation.</summary>
    private sealed class GateContract : IContract
    {
        private readonly SemaphoreSlim _gate = new(0);
        private int _entered;

        public string Name => "gate";

        public int Entered => Volatile.Read(ref _entered);

        public void Release(int count) => _gate.Release(count);

        public byte[] Invoke(IChaincodeStub stub, string function, IReadOnlyList<string> args)
        {
            Interlocked.Increment(ref _entered);
            if (!_gate.Wait(TimeSpan.FromSeconds(30)))
            {
                throw new ContractException(ContractErrorCode.InvalidArgument, "gate was never released");
            }

            return Encoding.UTF8.GetBytes("held");
        }
    }
}
