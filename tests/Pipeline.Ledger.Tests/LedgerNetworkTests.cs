using System.Text.Json;
using Pipeline.Chaincode;

namespace Pipeline.Ledger.Tests;

public sealed class LedgerNetworkTests
{
    [Fact]
    public async Task SubmitAsync_CreateAsset_CommitsOnAllPeersWithIdenticalStateHashes()
    {
        using var temp = new TestLedger();
        await using var network = await LedgerNetwork.StartAsync(temp.Options(peers: 3));
        var sha = TestLedger.Hash("chrome.exe");

        var result = await network.SubmitAsync(WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(sha), TestLedger.Admin, CancellationToken.None);

        Assert.Equal(TxValidationCode.Valid, result.Code);
        Assert.All(network.Peers, p => Assert.Equal(TxValidationCode.Valid, p.GetTransactionStatus(result.TxId)));
        Assert.All(network.Peers, p => Assert.Equal(result.BlockNumber + 1, p.Height));
        var hashes = network.Peers.Select(p => p.ComputeStateHash()).Distinct().ToList();
        Assert.Single(hashes);
        foreach (var peer in network.Peers)
        {
            var exists = await peer.EvaluateAsync(WhitelistFunctions.AssetExists, [sha], TestLedger.User, CancellationToken.None);
            Assert.True(JsonSerializer.Deserialize<bool>(exists));
        }
    }

    [Fact]
    public async Task SubmitAsync_NonAdminCreate_ThrowsEndorsementForbiddenAndOrdersNothing()
    {
        using var temp = new TestLedger();
        await using var network = await LedgerNetwork.StartAsync(temp.Options());

        var ex = await Assert.ThrowsAsync<EndorsementException>(() => network.SubmitAsync(
            WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(TestLedger.Hash("x")), TestLedger.User, CancellationToken.None));

        Assert.Equal(ContractErrorCode.Forbidden, ex.Code);
        Assert.False(string.IsNullOrEmpty(ex.TxId));
        Assert.Equal(0, network.Height);
    }

    [Fact]
    public async Task SubmitAsync_TwoConflictingTransfersEndorsedTogether_SecondIsMvccConflict()
    {
        using var temp = new TestLedger();
        await using var network = await LedgerNetwork.StartAsync(temp.Options());
        var sha = TestLedger.Hash("tool.exe");
        await network.SubmitAsync(WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(sha), TestLedger.Admin, CancellationToken.None);

        // Both simulated against the same committed version, before either is ordered.
        var first = await network.EndorseAsync(WhitelistFunctions.TransferAsset, [sha, OwnerRoles.Admin, "ops"], TestLedger.Admin, network.Peers[0], CancellationToken.None);
        var second = await network.EndorseAsync(WhitelistFunctions.TransferAsset, [sha, OwnerRoles.User, "dev"], TestLedger.Admin, network.Peers[1], CancellationToken.None);
        var firstResult = network.SubmitAsync(first, CancellationToken.None);
        var secondResult = network.SubmitAsync(second, CancellationToken.None);

        Assert.Equal(TxValidationCode.Valid, (await firstResult).Code);
        Assert.Equal(TxValidationCode.MvccReadConflict, (await secondResult).Code);
        var asset = JsonSerializer.Deserialize<WhitelistAsset>(
            await network.Peers[1].EvaluateAsync(WhitelistFunctions.ReadAsset, [sha], TestLedger.User, CancellationToken.None),
            ContractJson.Options)!;
        Assert.Equal("ops", asset.OwnerId);
        Assert.Single(network.Peers.Select(p => p.ComputeStateHash()).Distinct());
    }

    [Fact]
    public async Task SubmitAsync_SameEndorsementTwice_SecondIsDuplicateTxId()
    {
        using var temp = new TestLedger();
        await using var network = await LedgerNetwork.StartAsync(temp.Options());
        var endorsed = await network.EndorseAsync(
            WhitelistFunctions.EnrollEndpoint, ["ws-01", "plant-a", "windows-x64"], TestLedger.Admin, null, CancellationToken.None);

        var first = await network.SubmitAsync(endorsed, CancellationToken.None);
        var replay = await network.SubmitAsync(endorsed, CancellationToken.None);

        Assert.Equal(TxValidationCode.Valid, first.Code);
        Assert.Equal(TxValidationCode.DuplicateTxId, replay.Code);
        Assert.Equal(TxValidationCode.Valid, network.Peers[0].GetTransactionStatus(endorsed.Transaction.TxId));
    }

    [Fact]
    public async Task StartAsync_ExistingDirectory_ReopensVerifiedChainAndState()
    {
        using var temp = new TestLedger();
        var sha = TestLedger.Hash("editor.exe");
        string stateHash;
        long height;
        await using (var network = await LedgerNetwork.StartAsync(temp.Options()))
        {
            await network.SubmitAsync(WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(sha), TestLedger.Admin, CancellationToken.None);
            await network.SubmitAsync(WhitelistFunctions.TransferAsset, [sha, OwnerRoles.Admin], TestLedger.Admin, CancellationToken.None);
            stateHash = network.Peers[0].ComputeStateHash();
            height = network.Height;
        }

        await using var reopened = await LedgerNetwork.StartAsync(temp.Options());

        Assert.Equal(height, reopened.Height);
        Assert.All(reopened.Peers, p => Assert.Equal(stateHash, p.ComputeStateHash()));
        var history = JsonSerializer.Deserialize<AssetHistoryEntry[]>(
            await reopened.EvaluateAsync(WhitelistFunctions.GetAssetHistory, [sha], TestLedger.User, CancellationToken.None),
            ContractJson.Options)!;
        Assert.Equal([OwnerRoles.User, OwnerRoles.Admin], history.Select(h => h.Asset!.OwnerRole));
        var next = await reopened.SubmitAsync(WhitelistFunctions.DeleteAsset, [sha], TestLedger.Admin, CancellationToken.None);
        Assert.Equal(height, next.BlockNumber);
    }

    [Fact]
    public async Task AddPeerAsync_WhileRunning_NewReplicaCatchesUpAndCommitsLaterBlocks()
    {
        using var temp = new TestLedger();
        await using var network = await LedgerNetwork.StartAsync(temp.Options(peers: 2));
        for (var i = 0; i < 3; i++)
        {
            await network.SubmitAsync(WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(TestLedger.Hash("app" + i)), TestLedger.Admin, CancellationToken.None);
        }

        var added = await network.AddPeerAsync(CancellationToken.None);
        var later = await network.SubmitAsync(WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(TestLedger.Hash("late")), TestLedger.Admin, CancellationToken.None);

        Assert.Equal("peer2", added.Id);
        Assert.Equal(3, network.Peers.Count);
        Assert.Equal(network.Peers[0].Height, added.Height);
        Assert.Equal(TxValidationCode.Valid, added.GetTransactionStatus(later.TxId));
        Assert.Single(network.Peers.Select(p => p.ComputeStateHash()).Distinct());
    }

    [Fact]
    public async Task StartAsync_MorePeersThanOnDisk_NewPeersCatchUpFromExistingOnes()
    {
        using var temp = new TestLedger();
        await using (var network = await LedgerNetwork.StartAsync(temp.Options(peers: 1)))
        {
            await network.SubmitAsync(WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(TestLedger.Hash("a")), TestLedger.Admin, CancellationToken.None);
        }

        await using var grown = await LedgerNetwork.StartAsync(temp.Options(peers: 3));

        Assert.Equal(3, LedgerNetwork.CountExistingPeers(temp.Directory));
        Assert.All(grown.Peers, p => Assert.Equal(1, p.Height));
        Assert.Single(grown.Peers.Select(p => p.ComputeStateHash()).Distinct());
    }

    [Fact]
    public async Task EvaluateAsync_VerifyExecutionsBatch_AnswersEveryHashInOrder()
    {
        using var temp = new TestLedger();
        await using var network = await LedgerNetwork.StartAsync(temp.Options(peers: 1));
        var known = TestLedger.Hash("known");
        var adminOnly = TestLedger.Hash("regedit");
        await network.SubmitAsync(WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(known), TestLedger.Admin, CancellationToken.None);
        await network.SubmitAsync(WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(adminOnly, "regedit", OwnerRoles.Admin), TestLedger.Admin, CancellationToken.None);
        var hashes = Enumerable.Range(0, 348).Select(i => TestLedger.Hash("unknown" + i)).Append(known).Append(adminOnly).ToArray();

        var payload = await network.Peers[0].EvaluateAsync(
            WhitelistFunctions.VerifyExecutions, [JsonSerializer.Serialize(hashes)], TestLedger.User, CancellationToken.None);
        var checks = JsonSerializer.Deserialize<ExecutionCheck[]>(payload, ContractJson.Options)!;

        Assert.Equal(350, checks.Length);
        Assert.Equal(hashes, checks.Select(c => c.Sha256));
        Assert.Equal(348, checks.Count(c => !c.Exists));
        Assert.True(checks[348].IsAllowedFor(OwnerRoles.User));
        Assert.False(checks[349].IsAllowedFor(OwnerRoles.User));
        Assert.True(checks[349].IsAllowedFor(OwnerRoles.Admin));
    }

    [Fact]
    public async Task EvaluateAsync_WriteFunction_DoesNotChangeState()
    {
        using var temp = new TestLedger();
        await using var network = await LedgerNetwork.StartAsync(temp.Options(peers: 1));
        var sha = TestLedger.Hash("evaluated-only");

        await network.Peers[0].EvaluateAsync(WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(sha), TestLedger.Admin, CancellationToken.None);

        var exists = await network.Peers[0].EvaluateAsync(WhitelistFunctions.AssetExists, [sha], TestLedger.Admin, CancellationToken.None);
        Assert.False(JsonSerializer.Deserialize<bool>(exists));
        Assert.Equal(0, network.Height);
    }

    [Fact]
    public async Task SubmitAsync_TenConcurrentWithBatchOfFive_CutsExactlyTwoBlocksBySize()
    {
        using var temp = new TestLedger();
        var options = temp.Options(peers: 2);
        options.BatchMaxTransactions = 5;
        options.BatchTimeout = TimeSpan.FromMinutes(10); // only the size rule can cut
        await using var network = await LedgerNetwork.StartAsync(options);

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => network.SubmitAsync(
            WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(TestLedger.Hash("bulk" + i)), TestLedger.Admin, CancellationToken.None)));

        Assert.All(results, r => Assert.Equal(TxValidationCode.Valid, r.Code));
        Assert.Equal(2, network.Height);
        Assert.Equal([5, 5], results.GroupBy(r => r.BlockNumber).Select(g => g.Count()));
        var page = JsonSerializer.Deserialize<AssetPage>(
            await network.EvaluateAsync(WhitelistFunctions.GetAllAssets, ["100"], TestLedger.User, CancellationToken.None), ContractJson.Options)!;
        Assert.Equal(10, page.Assets.Count);
        Assert.Equal("", page.Bookmark);
    }

    [Fact]
    public async Task StartAsync_DirectoryAlreadyOpen_ThrowsInUse()
    {
        using var temp = new TestLedger();
        await using var running = await LedgerNetwork.StartAsync(temp.Options(peers: 1));

        var ex = await Assert.ThrowsAsync<IOException>(() => LedgerNetwork.StartAsync(temp.Options(peers: 1)));

        Assert.Contains("in use", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddPeerAsync_DuringConcurrentSubmits_ReplicaEndsIdentical()
    {
        using var temp = new TestLedger();
        await using var network = await LedgerNetwork.StartAsync(temp.Options(peers: 2));

        var submits = Enumerable.Range(0, 30).Select(i => network.SubmitAsync(
            WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(TestLedger.Hash("during" + i)), TestLedger.Admin, CancellationToken.None)).ToList();
        var added = await network.AddPeerAsync(CancellationToken.None);
        var results = await Task.WhenAll(submits);

        Assert.All(results, r => Assert.Equal(TxValidationCode.Valid, r.Code));
        Assert.All(results, r => Assert.Equal(TxValidationCode.Valid, added.GetTransactionStatus(r.TxId)));
        Assert.Equal(network.Peers[0].Height, added.Height);
        Assert.Single(network.Peers.Select(p => p.ComputeStateHash()).Distinct());
    }
}
