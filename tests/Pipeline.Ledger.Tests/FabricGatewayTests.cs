using System.Text;
using System.Text.Json;
using Grpc.Core;
using Pipeline.Chaincode;
using Pipeline.Ledger.Fabric;
using Pipeline.Ledger.Fabric.Client;
using Pipeline.Ledger.Fabric.Msp;
using FabricCode = Pipeline.Ledger.Fabric.Protos.Peer.TxValidationCode;

namespace Pipeline.Ledger.Tests;

/// <summary>The C# Gateway client against the embedded peers' Gateway service over real gRPC on loopback.</summary>
public sealed class FabricGatewayTests : IAsyncLifetime
{
    private GatewayTestNetwork _net = null!;

    public async Task InitializeAsync() => _net = await GatewayTestNetwork.StartAsync();

    public async Task DisposeAsync() => await _net.DisposeAsync();

    [Fact]
    public async Task EveryContractFunction_ThroughTheGateway_BehavesAsInProcess()
    {
        var admin = _net.Contract(MspLayout.Admin);
        var user = _net.Contract(MspLayout.User, "Org2MSP", peerIndex: 1);
        var chrome = TestLedger.Hash("chrome");
        var tool = TestLedger.Hash("tool");

        var endpoint = Json<EndpointRecord>(await admin.SubmitTransactionAsync(WhitelistFunctions.EnrollEndpoint, ["ws-1", "plant-a", "windows-x64"]));
        Assert.Equal("ws-1", endpoint.EndpointId);
        Assert.Equal("ws-1", Json<EndpointRecord>(await user.EvaluateTransactionAsync(WhitelistFunctions.ReadEndpoint, ["ws-1"])).EndpointId);

        var created = Json<WhitelistAsset>(await admin.SubmitTransactionAsync(WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(chrome)));
        Assert.Equal("admin@Org1MSP", created.Approver);
        Assert.Equal("Org1MSP", created.CreatedByMsp);
        await admin.SubmitTransactionAsync(WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(tool, "regedit", OwnerRoles.Admin));

        Assert.Equal("chrome", Json<WhitelistAsset>(await user.EvaluateTransactionAsync(WhitelistFunctions.ReadAsset, [chrome])).AppName);
        Assert.True(Json<bool>(await user.EvaluateTransactionAsync(WhitelistFunctions.AssetExists, [chrome])));
        Assert.False(Json<bool>(await user.EvaluateTransactionAsync(WhitelistFunctions.AssetExists, [TestLedger.Hash("nope")])));

        var updated = Json<WhitelistAsset>(await admin.SubmitTransactionAsync(WhitelistFunctions.UpdateAsset, [chrome, "chrome", "121.0", "windows-x64"]));
        Assert.Equal("121.0", updated.AppVersion);
        var transferred = Json<WhitelistAsset>(await admin.SubmitTransactionAsync(WhitelistFunctions.TransferAsset, [chrome, OwnerRoles.Admin]));
        Assert.Equal(OwnerRoles.Admin, transferred.OwnerRole);

        var page = Json<AssetPage>(await user.EvaluateTransactionAsync(WhitelistFunctions.GetAllAssets, ["10"]));
        Assert.Equal(new[] { chrome, tool }.Order(StringComparer.Ordinal), page.Assets.Select(a => a.Sha256));
        Assert.Equal(3, Json<AssetHistoryEntry[]>(await user.EvaluateTransactionAsync(WhitelistFunctions.GetAssetHistory, [chrome])).Length);
        Assert.Equal(tool, Assert.Single(Json<WhitelistAsset[]>(await user.EvaluateTransactionAsync(WhitelistFunctions.FindByAppName, ["regedit"]))).Sha256);

        var checks = Json<ExecutionCheck[]>(await user.EvaluateTransactionAsync(WhitelistFunctions.VerifyExecutions, [JsonSerializer.Serialize(new[] { chrome, TestLedger.Hash("malware") })]));
        Assert.Equal([true, false], checks.Select(c => c.Exists));

        await admin.SubmitTransactionAsync(WhitelistFunctions.DeleteAsset, [tool, "retired"]);
        Assert.False(Json<bool>(await user.EvaluateTransactionAsync(WhitelistFunctions.AssetExists, [tool])));
        Assert.Equal(_net.Ledger.Peers[0].ComputeStateHash(), _net.Ledger.Peers[1].ComputeStateHash());
    }

    [Fact]
    public async Task SubmitAsync_Valid_ReportsTheBlockEveryGatewayAgreesOn()
    {
        var admin = _net.Contract(MspLayout.Admin);
        var sha = TestLedger.Hash("status");

        var submitted = await admin.SubmitAsync(WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(sha));

        Assert.True(submitted.Status.IsSuccessful);
        Assert.Equal(FabricCode.Valid, submitted.Status.Code);
        var onPeer = _net.Ledger.Peers[1].GetTransactionCommit(submitted.TxId)!.Value;
        Assert.Equal((long)submitted.Status.BlockNumber, onPeer.BlockNumber);
        Assert.Equal(TxValidationCode.Valid, onPeer.Code);
        var fromOtherGateway = await _net.Contract(MspLayout.User, "Org2MSP", peerIndex: 1).GetCommitStatusAsync(submitted.TxId);
        Assert.Equal(submitted.Status, fromOtherGateway);
        Assert.Equal(sha, Json<WhitelistAsset>(submitted.Result).Sha256);
    }

    [Fact]
    public async Task SubmitTransactionAsync_ReadsChangedSinceEndorsement_ThrowsCommitExceptionWithMvccConflict()
    {
        var admin = _net.Contract(MspLayout.Admin);
        var sha = TestLedger.Hash("mvcc");
        await admin.SubmitTransactionAsync(WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(sha));
        var first = await admin.EndorseAsync(WhitelistFunctions.UpdateAsset, [sha, "chrome", "121.0", "windows-x64"]);
        var second = await admin.EndorseAsync(WhitelistFunctions.UpdateAsset, [sha, "chrome", "122.0", "windows-x64"]);

        await admin.SubmitTransactionAsync(first);
        var error = await Assert.ThrowsAsync<CommitException>(() => admin.SubmitTransactionAsync(second));

        Assert.Equal(second.TxId, error.TxId);
        Assert.Equal(FabricCode.MvccReadConflict, error.Code);
        Assert.Equal((long)error.BlockNumber, _net.Ledger.Peers[0].GetTransactionCommit(second.TxId)!.Value.BlockNumber);
        Assert.Equal("121.0", Json<WhitelistAsset>(await admin.EvaluateTransactionAsync(WhitelistFunctions.ReadAsset, [sha])).AppVersion);
    }

    [Fact]
    public async Task SubmitTransactionAsync_ContractRefusesAUser_ThrowsEndorseExceptionWithPeerDetails()
    {
        var user = _net.Contract(MspLayout.User);
        var sha = TestLedger.Hash("forbidden");

        var error = await Assert.ThrowsAsync<EndorseException>(() => user.SubmitTransactionAsync(WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(sha)));

        Assert.Equal(StatusCode.Aborted, error.StatusCode);
        Assert.Equal(64, error.TxId.Length);
        var detail = Assert.Single(error.Details);
        Assert.Equal("Org1MSP", detail.MspId);
        Assert.Equal(new Uri(_net.Host.Endpoints[0].Address).Authority, detail.Address);
        Assert.Contains("chaincode response 500", detail.Message, StringComparison.Ordinal);
        Assert.Contains(error.TxId, detail.Message, StringComparison.Ordinal);
        Assert.Equal(0, _net.Ledger.Height);
    }

    [Fact]
    public async Task EvaluateTransactionAsync_UnknownAsset_ThrowsEvaluateExceptionNamingIt()
    {
        var sha = TestLedger.Hash("missing");

        var error = await Assert.ThrowsAsync<EvaluateException>(() => _net.Contract(MspLayout.User).EvaluateTransactionAsync(WhitelistFunctions.ReadAsset, [sha]));

        Assert.Contains(sha, Assert.Single(error.Details).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_SignedWithTheWrongKey_IsRejectedWithTheGatewayErrorShape()
    {
        var identity = Identity.FromLedgerDirectory(_net.Dir.Directory, "Org1MSP", MspLayout.User);
        var wrongKey = Signer.FromLedgerDirectory(_net.Dir.Directory, "Org1MSP", MspLayout.Admin);
        var contract = _net.Connect(identity, wrongKey).GetNetwork("whitelist").GetContract("whitelist");

        var error = await Assert.ThrowsAsync<EvaluateException>(() => contract.EvaluateTransactionAsync(WhitelistFunctions.AssetExists, [TestLedger.Hash("x")]));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        AssertGatewayShape(error, "signature");
        await Assert.ThrowsAsync<EndorseException>(() => contract.SubmitTransactionAsync(WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(TestLedger.Hash("y"))));
        Assert.Equal(0, _net.Ledger.Height);
    }

    [Fact]
    public async Task Evaluate_UnknownMsp_IsRejectedWithTheGatewayErrorShape()
    {
        using var elsewhere = new TestLedger();
        MspGenerator.Generate(elsewhere.Directory, "Org3MSP");
        var contract = _net.Connect(
                Identity.FromLedgerDirectory(elsewhere.Directory, "Org3MSP", MspLayout.Admin),
                Signer.FromLedgerDirectory(elsewhere.Directory, "Org3MSP", MspLayout.Admin))
            .GetNetwork("whitelist").GetContract("whitelist");

        var error = await Assert.ThrowsAsync<EvaluateException>(() => contract.EvaluateTransactionAsync(WhitelistFunctions.AssetExists, [TestLedger.Hash("x")]));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        AssertGatewayShape(error, "MSP 'Org3MSP' is unknown");
    }

    [Fact]
    public async Task Evaluate_OtherChannel_IsNotFound()
    {
        var contract = _net.Connect(
                Identity.FromLedgerDirectory(_net.Dir.Directory, "Org1MSP", MspLayout.User),
                Signer.FromLedgerDirectory(_net.Dir.Directory, "Org1MSP", MspLayout.User))
            .GetNetwork("otherchannel").GetContract("whitelist");

        var error = await Assert.ThrowsAsync<EvaluateException>(() => contract.EvaluateTransactionAsync(WhitelistFunctions.AssetExists, [TestLedger.Hash("x")]));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        AssertGatewayShape(error, "channel 'otherchannel' not found");
    }

    [Fact]
    public async Task GetChaincodeEventsAsync_FromAStartBlock_StreamsCommittedEventsAndResumesAfterACheckpoint()
    {
        var admin = _net.Contract(MspLayout.Admin);
        var first = await admin.SubmitAsync(WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(TestLedger.Hash("e1")));
        var second = await admin.SubmitAsync(WhitelistFunctions.TransferAsset, [TestLedger.Hash("e1"), OwnerRoles.Admin]);
        var listener = _net.Contract(MspLayout.User, "Org2MSP", peerIndex: 1).Network;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // History from block 0, then a live event committed after the stream started.
        var checkpointer = new Checkpointer();
        var seen = new List<CommittedChaincodeEvent>();
        await using (var events = listener.GetChaincodeEventsAsync("whitelist", new ChaincodeEventsOptions { StartBlock = 0 }, timeout.Token).GetAsyncEnumerator(timeout.Token))
        {
            for (var i = 0; i < 2; i++)
            {
                Assert.True(await events.MoveNextAsync());
                seen.Add(events.Current);
            }

            checkpointer.CheckpointChaincodeEvent(seen[0]);
            var third = admin.SubmitAsync(WhitelistFunctions.UpdateAsset, [TestLedger.Hash("e1"), "chrome", "122.0", "windows-x64"], timeout.Token);
            Assert.True(await events.MoveNextAsync());
            seen.Add(events.Current);
            Assert.Equal((await third).TxId, seen[2].TxId);
        }

        Assert.Equal([first.TxId, second.TxId], seen.Take(2).Select(e => e.TxId));
        Assert.Equal(["AssetCreated", "AssetTransferred", "AssetUpdated"], seen.Select(e => e.EventName));
        Assert.Equal(first.Status.BlockNumber, seen[0].BlockNumber);
        Assert.All(seen, e => Assert.Equal("whitelist", e.ChaincodeName));
        Assert.Equal(TestLedger.Hash("e1"), JsonSerializer.Deserialize<WhitelistAsset>(seen[0].Payload, ContractJson.Options)!.Sha256);

        // Resuming from the checkpoint after the first event repeats nothing before it.
        await using var resumed = listener.GetChaincodeEventsAsync("whitelist", new ChaincodeEventsOptions { Checkpointer = checkpointer }, timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await resumed.MoveNextAsync());
        Assert.Equal(second.TxId, resumed.Current.TxId);
    }

    [Fact]
    public async Task ChaincodeEvents_StreamWithABadSignature_IsRejected()
    {
        var identity = Identity.FromLedgerDirectory(_net.Dir.Directory, "Org1MSP", MspLayout.User);
        var network = _net.Connect(identity, Signer.FromLedgerDirectory(_net.Dir.Directory, "Org2MSP", MspLayout.User)).GetNetwork("whitelist");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var error = await Assert.ThrowsAsync<GatewayException>(async () =>
        {
            await foreach (var _ in network.GetChaincodeEventsAsync("whitelist", new ChaincodeEventsOptions { StartBlock = 0 }, timeout.Token))
            {
            }
        });

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        AssertGatewayShape(error, "signature");
    }

    private void AssertGatewayShape(GatewayException error, string expected)
    {
        var rpc = Assert.IsType<RpcException>(error.InnerException);
        Assert.NotNull(rpc.Trailers.Get(GatewayStatus.DetailsTrailer));
        var detail = Assert.Single(error.Details);
        Assert.Equal("Org1MSP", detail.MspId);
        Assert.StartsWith("127.0.0.1:", detail.Address, StringComparison.Ordinal);
        Assert.Contains(expected, detail.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    private static T Json<T>(byte[] bytes) =>
        JsonSerializer.Deserialize<T>(bytes, ContractJson.Options) ?? throw new InvalidOperationException("null JSON: " + Encoding.UTF8.GetString(bytes));
}
