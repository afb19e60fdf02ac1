using System.Text.Json;
using Google.Protobuf;
using Pipeline.Chaincode;
using Pipeline.Ledger.Fabric.Chaincode;
using Pipeline.Ledger.Fabric.Protos.Peer;
using MessageType = Pipeline.Ledger.Fabric.Protos.Peer.ChaincodeMessage.Types.Type;

namespace Pipeline.Ledger.Tests;

/// <summary>
/// WhitelistContract as chaincode-as-a-service, driven by <see cref="ShimPeerHarness"/> playing the peer
/// over real gRPC on loopback: register → ready → transaction → state calls → completed, and the error paths.
/// </summary>
public sealed class ChaincodeShimTests : IAsyncLifetime, IDisposable
{
    private const string PackageId = "whitelist_1.0:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

    private readonly ShimTestIdentity _admin = ShimTestIdentity.WithRoleAttribute("alice", "OrgHQMSP", OwnerRoles.Admin);
    private readonly ShimTestIdentity _user = ShimTestIdentity.WithRoleAttribute("bob", "OrgBRMSP", OwnerRoles.User);
    private ChaincodeServer? _server;

    private ChaincodeServer Server => _server ?? throw new InvalidOperationException("server not started");

    public async Task InitializeAsync() =>
        _server = await ChaincodeServer.StartAsync(new ChaincodeServerOptions { Address = "127.0.0.1:0", PackageId = PackageId });

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public void Dispose()
    {
        _admin.Dispose();
        _user.Dispose();
    }

    [Fact]
    public async Task Connect_PeerDials_ChaincodeRegistersWithPackageIdFirst()
    {
        await using var peer = await ShimPeerHarness.ConnectAsync(Server.Address, handshake: false);

        var register = await peer.RegisterAsync();

        Assert.Equal(MessageType.Register, register.Type);
        Assert.Equal(PackageId, ChaincodeID.Parser.ParseFrom(register.Payload).Name);
    }

    [Fact]
    public async Task CreateAsset_AdminAfterReady_GetsThenPutsStateAndCompletesWithEvent()
    {
        await using var peer = await ShimPeerHarness.ConnectAsync(Server.Address);
        var sha = TestLedger.Hash("chrome");
        var timestamp = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

        var result = await peer.InvokeAsync(_admin, "tx-create", timestamp, WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(sha));

        Assert.True(result.IsCompleted);
        Assert.Equal(200, result.Response.Status);
        Assert.Equal([MessageType.GetState, MessageType.PutState], result.Calls);
        Assert.Equal("tx-create", result.Reply.Txid);
        Assert.Equal(ShimPeerHarness.ChannelId, result.Reply.ChannelId);
        var asset = JsonSerializer.Deserialize<WhitelistAsset>(result.PayloadText, ContractJson.Options)!;
        Assert.Equal(sha, asset.Sha256);
        Assert.Equal("OrgHQMSP", asset.CreatedByMsp);
        Assert.Equal("alice", asset.Approver);
        Assert.Equal(timestamp, asset.CreatedAt);
        Assert.Equal("AssetCreated", result.Reply.ChaincodeEvent.EventName);
        Assert.Equal(result.Response.Payload, result.Reply.ChaincodeEvent.Payload);
        Assert.True(peer.State.ContainsKey(WhitelistContract.AssetPrefix + sha));
    }

    [Fact]
    public async Task ReadAndExists_CommittedAsset_AnsweredFromPeerState()
    {
        await using var peer = await ShimPeerHarness.ConnectAsync(Server.Address);
        var sha = TestLedger.Hash("read");
        await CreateAsync(peer, sha);

        var read = await peer.InvokeAsync(_user, WhitelistFunctions.ReadAsset, sha);
        var exists = await peer.InvokeAsync(_user, WhitelistFunctions.AssetExists, sha);
        var missing = await peer.InvokeAsync(_user, WhitelistFunctions.AssetExists, TestLedger.Hash("unknown"));

        Assert.Equal(sha, JsonSerializer.Deserialize<WhitelistAsset>(read.PayloadText, ContractJson.Options)!.Sha256);
        Assert.Equal([MessageType.GetState], read.Calls);
        Assert.Equal("true", exists.PayloadText);
        Assert.Equal("false", missing.PayloadText);
        Assert.Equal(0, read.Reply.ChaincodeEvent?.CalculateSize() ?? 0);
    }

    [Fact]
    public async Task UpdateTransferAndHistory_ThreeCommits_HistoryOldestFirstFromPagedNewestFirstReplies()
    {
        await using var peer = await ShimPeerHarness.ConnectAsync(Server.Address);
        peer.BatchSize = 1;
        var sha = TestLedger.Hash("history");
        await CreateAsync(peer, sha);

        var update = await peer.InvokeAsync(_admin, WhitelistFunctions.UpdateAsset, sha, "chrome", "121.0", "windows-x64");
        var transfer = await peer.InvokeAsync(_admin, WhitelistFunctions.TransferAsset, sha, OwnerRoles.Admin, "it-admins");
        var history = await peer.InvokeAsync(_user, WhitelistFunctions.GetAssetHistory, sha);

        Assert.Equal("AssetUpdated", update.Reply.ChaincodeEvent.EventName);
        Assert.Equal("121.0", JsonSerializer.Deserialize<WhitelistAsset>(update.PayloadText, ContractJson.Options)!.AppVersion);
        Assert.Equal("AssetTransferred", transfer.Reply.ChaincodeEvent.EventName);
        Assert.Equal("it-admins", JsonSerializer.Deserialize<WhitelistAsset>(transfer.PayloadText, ContractJson.Options)!.OwnerId);
        // One result per QueryResponse: the first reply plus two QUERY_STATE_NEXT.
        Assert.Equal([MessageType.GetHistoryForKey, MessageType.QueryStateNext, MessageType.QueryStateNext], history.Calls);
        var entries = JsonSerializer.Deserialize<AssetHistoryEntry[]>(history.PayloadText, ContractJson.Options)!;
        Assert.Equal(["120.0", "121.0", "121.0"], entries.Select(e => e.Asset!.AppVersion));
        Assert.Equal([OwnerRoles.User, OwnerRoles.User, OwnerRoles.Admin], entries.Select(e => e.Asset!.OwnerRole));
    }

    [Fact]
    public async Task DeleteAsset_Admin_DelStateCommittedAndHistoryEndsWithDelete()
    {
        await using var peer = await ShimPeerHarness.ConnectAsync(Server.Address);
        var sha = TestLedger.Hash("revoke");
        await CreateAsync(peer, sha);

        var revoke = await peer.InvokeAsync(_admin, WhitelistFunctions.DeleteAsset, sha, "malware");
        var exists = await peer.InvokeAsync(_user, WhitelistFunctions.AssetExists, sha);
        var history = await peer.InvokeAsync(_user, WhitelistFunctions.GetAssetHistory, sha);

        Assert.Equal([MessageType.GetState, MessageType.DelState], revoke.Calls);
        Assert.Equal("AssetRevoked", revoke.Reply.ChaincodeEvent.EventName);
        Assert.Equal("false", exists.PayloadText);
        var entries = JsonSerializer.Deserialize<AssetHistoryEntry[]>(history.PayloadText, ContractJson.Options)!;
        Assert.Equal([false, true], entries.Select(e => e.IsDelete));
    }

    [Fact]
    public async Task VerifyExecutions_KnownUnknownAndAdminOwned_ChecksInOrderAsked()
    {
        await using var peer = await ShimPeerHarness.ConnectAsync(Server.Address);
        var userApp = TestLedger.Hash("user-app");
        var adminApp = TestLedger.Hash("admin-app");
        var unknown = TestLedger.Hash("dropper");
        await CreateAsync(peer, userApp);
        await CreateAsync(peer, adminApp, OwnerRoles.Admin);

        var result = await peer.InvokeAsync(_user, WhitelistFunctions.VerifyExecutions, JsonSerializer.Serialize(new[] { unknown, userApp, adminApp }));

        var checks = JsonSerializer.Deserialize<ExecutionCheck[]>(result.PayloadText, ContractJson.Options)!;
        Assert.Equal([unknown, userApp, adminApp], checks.Select(c => c.Sha256));
        Assert.Equal([false, true, false], checks.Select(c => c.IsAllowedFor(OwnerRoles.User)));
        Assert.True(checks[2].IsAllowedFor(OwnerRoles.Admin));
        Assert.Equal([MessageType.GetState, MessageType.GetState, MessageType.GetState], result.Calls);
    }

    [Fact]
    public async Task GetAllAssets_PageSizeTwo_BookmarksWalkEveryAsset()
    {
        await using var peer = await ShimPeerHarness.ConnectAsync(Server.Address);
        var hashes = new[] { TestLedger.Hash("p1"), TestLedger.Hash("p2"), TestLedger.Hash("p3") };
        foreach (var sha in hashes)
        {
            await CreateAsync(peer, sha);
        }

        var first = JsonSerializer.Deserialize<AssetPage>((await peer.InvokeAsync(_user, WhitelistFunctions.GetAllAssets, "2")).PayloadText, ContractJson.Options)!;
        var second = JsonSerializer.Deserialize<AssetPage>((await peer.InvokeAsync(_user, WhitelistFunctions.GetAllAssets, "2", first.Bookmark)).PayloadText, ContractJson.Options)!;

        Assert.Equal(2, first.Assets.Count);
        Assert.StartsWith(WhitelistContract.AssetPrefix, first.Bookmark, StringComparison.Ordinal);
        Assert.Single(second.Assets);
        Assert.Equal(string.Empty, second.Bookmark);
        Assert.Equal(hashes.Order(StringComparer.Ordinal), first.Assets.Concat(second.Assets).Select(a => a.Sha256));
    }

    [Fact]
    public async Task FindByAppName_UnpaginatedRange_FollowsQueryStateNextBatches()
    {
        await using var peer = await ShimPeerHarness.ConnectAsync(Server.Address);
        peer.BatchSize = 2;
        for (var i = 0; i < 5; i++)
        {
            await CreateAsync(peer, TestLedger.Hash("find" + i), app: i % 2 == 0 ? "chrome" : "notepad");
        }

        var result = await peer.InvokeAsync(_user, WhitelistFunctions.FindByAppName, "chrome");

        Assert.Equal(3, JsonSerializer.Deserialize<WhitelistAsset[]>(result.PayloadText, ContractJson.Options)!.Length);
        Assert.Equal([MessageType.GetStateByRange, MessageType.QueryStateNext, MessageType.QueryStateNext], result.Calls);
    }

    [Fact]
    public async Task EnrollAndReadEndpoint_Admin_RoundTripsThroughPeerState()
    {
        await using var peer = await ShimPeerHarness.ConnectAsync(Server.Address);

        var enrolled = await peer.InvokeAsync(_admin, WhitelistFunctions.EnrollEndpoint, "ws-0001", "plant-a", "windows-x64");
        var read = await peer.InvokeAsync(_user, WhitelistFunctions.ReadEndpoint, "ws-0001");

        Assert.Equal("EndpointEnrolled", enrolled.Reply.ChaincodeEvent.EventName);
        Assert.Equal("plant-a", JsonSerializer.Deserialize<EndpointRecord>(read.PayloadText, ContractJson.Options)!.Organisation);
    }

    [Fact]
    public async Task CreateAsset_NonAdmin_Completes500WithContractMessageAndWritesNothing()
    {
        await using var peer = await ShimPeerHarness.ConnectAsync(Server.Address);
        var sha = TestLedger.Hash("forbidden");

        var result = await peer.InvokeAsync(_user, WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(sha));

        Assert.Equal(500, result.Response.Status);
        Assert.Contains("CreateAsset requires role=admin", result.Response.Message, StringComparison.Ordinal);
        Assert.Contains("OrgBRMSP", result.Response.Message, StringComparison.Ordinal);
        Assert.Empty(result.Calls);
        Assert.Null(result.Reply.ChaincodeEvent);
        Assert.Empty(peer.State);
    }

    [Fact]
    public async Task Invoke_UnknownFunction_Completes500NamingTheFunction()
    {
        await using var peer = await ShimPeerHarness.ConnectAsync(Server.Address);

        var result = await peer.InvokeAsync(_admin, "MintCoins", "1");

        Assert.Equal(500, result.Response.Status);
        Assert.Contains("no function 'MintCoins'", result.Response.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetState_PeerAnswersError_Completes500WithThePeersReason()
    {
        await using var peer = await ShimPeerHarness.ConnectAsync(Server.Address);
        peer.RefuseCall = m => m.Type == MessageType.GetState ? "ledger is closing" : null;

        var result = await peer.InvokeAsync(_user, WhitelistFunctions.AssetExists, TestLedger.Hash("x"));

        Assert.Equal(500, result.Response.Status);
        Assert.Contains("the peer refused GET_STATE", result.Response.Message, StringComparison.Ordinal);
        Assert.Contains("ledger is closing", result.Response.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transaction_PayloadNotChaincodeInput_ErrorAndLaterTransactionsStillServed()
    {
        await using var peer = await ShimPeerHarness.ConnectAsync(Server.Address);
        var bad = new ChaincodeMessage
        {
            Type = MessageType.Transaction,
            Txid = "tx-garbage",
            ChannelId = ShimPeerHarness.ChannelId,
            Payload = ByteString.CopyFrom(0xFF, 0xFF, 0xFF, 0xFF),
            Proposal = _admin.Propose(ShimPeerHarness.ChannelId, "whitelist", "tx-garbage", DateTimeOffset.UtcNow, []),
        };

        var error = await peer.SendAndWaitAsync(bad);
        var after = await peer.InvokeAsync(_user, WhitelistFunctions.AssetExists, TestLedger.Hash("after"));

        Assert.Equal(MessageType.Error, error.Reply.Type);
        Assert.Equal("tx-garbage", error.Reply.Txid);
        Assert.Contains("is not a ChaincodeInput", error.ErrorText, StringComparison.Ordinal);
        Assert.Equal(200, after.Response.Status);
    }

    [Fact]
    public async Task Transaction_WithoutSignedProposal_ErrorNamingTheCreatorSource()
    {
        await using var peer = await ShimPeerHarness.ConnectAsync(Server.Address);
        var input = new ChaincodeInput();
        input.Args.Add(ByteString.CopyFromUtf8(WhitelistFunctions.AssetExists));
        input.Args.Add(ByteString.CopyFromUtf8(TestLedger.Hash("x")));

        var result = await peer.SendAndWaitAsync(new ChaincodeMessage
        {
            Type = MessageType.Transaction,
            Txid = "tx-anonymous",
            ChannelId = ShimPeerHarness.ChannelId,
            Payload = input.ToByteString(),
        });

        Assert.Contains("carries no signed proposal", result.ErrorText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transaction_ArgumentNotUtf8_ErrorNamingTheArgument()
    {
        await using var peer = await ShimPeerHarness.ConnectAsync(Server.Address);
        var input = new ChaincodeInput();
        input.Args.Add(ByteString.CopyFromUtf8(WhitelistFunctions.ReadAsset));
        input.Args.Add(ByteString.CopyFrom(0xC3, 0x28));

        var result = await peer.SendAndWaitAsync(new ChaincodeMessage
        {
            Type = MessageType.Transaction,
            Txid = "tx-binary",
            ChannelId = ShimPeerHarness.ChannelId,
            Payload = input.ToByteString(),
            Proposal = _admin.Propose(ShimPeerHarness.ChannelId, "whitelist", "tx-binary", DateTimeOffset.UtcNow, input.Args),
        });

        Assert.Contains("argument 0 is not UTF-8", result.ErrorText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ready_UnexpectedMessageTypeAndStrayResponse_ErrorsAndConversationGoesOn()
    {
        await using var peer = await ShimPeerHarness.ConnectAsync(Server.Address);

        await peer.SendAsync(new ChaincodeMessage { Type = MessageType.GetState, Txid = "tx-odd", ChannelId = ShimPeerHarness.ChannelId });
        var odd = await peer.NextOtherAsync();
        await peer.SendAsync(new ChaincodeMessage { Type = MessageType.Response, Txid = "tx-nobody", ChannelId = ShimPeerHarness.ChannelId });
        var stray = await peer.NextOtherAsync();
        var after = await peer.InvokeAsync(_user, WhitelistFunctions.AssetExists, TestLedger.Hash("after"));

        Assert.Equal((MessageType.Error, "tx-odd"), (odd.Type, odd.Txid));
        Assert.Contains("does not accept GET_STATE", odd.Payload.ToStringUtf8(), StringComparison.Ordinal);
        Assert.Equal((MessageType.Error, "tx-nobody"), (stray.Type, stray.Txid));
        Assert.Contains("no transaction tx-nobody is running", stray.Payload.ToStringUtf8(), StringComparison.Ordinal);
        Assert.Equal(200, after.Response.Status);
    }

    [Fact]
    public async Task Created_TransactionBeforeRegistered_ErrorAndChaincodeEndsTheStream()
    {
        await using var peer = await ShimPeerHarness.ConnectAsync(Server.Address, handshake: false);
        await peer.RegisterAsync();

        await peer.SendAsync(new ChaincodeMessage { Type = MessageType.Transaction, Txid = "tx-early", ChannelId = ShimPeerHarness.ChannelId });
        var error = await peer.NextOtherAsync();

        Assert.Equal(MessageType.Error, error.Type);
        Assert.Contains("while waiting for REGISTERED", error.Payload.ToStringUtf8(), StringComparison.Ordinal);
        await peer.Ended.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Keepalive_AnyTime_EchoedBack()
    {
        await using var peer = await ShimPeerHarness.ConnectAsync(Server.Address);

        await peer.SendAsync(new ChaincodeMessage { Type = MessageType.Keepalive, Txid = "ka-1" });
        var echo = await peer.NextOtherAsync();

        Assert.Equal((MessageType.Keepalive, "ka-1"), (echo.Type, echo.Txid));
    }

    [Fact]
    public async Task Transactions_FortyInterleaved_EachCompletesWithItsOwnResult()
    {
        await using var peer = await ShimPeerHarness.ConnectAsync(Server.Address);
        peer.BatchSize = 1;
        var hashes = Enumerable.Range(0, 40).Select(i => TestLedger.Hash("c" + i)).ToArray();

        var creates = await Task.WhenAll(hashes.Select(sha => peer.InvokeAsync(_admin, WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(sha, app: "app-" + sha[..8]))));
        var reads = await Task.WhenAll(hashes.Select(sha => peer.InvokeAsync(_user, WhitelistFunctions.ReadAsset, sha)));

        Assert.All(creates, c => Assert.Equal(200, c.Response.Status));
        Assert.Equal(hashes.Select(h => "app-" + h[..8]), reads.Select(r => JsonSerializer.Deserialize<WhitelistAsset>(r.PayloadText, ContractJson.Options)!.AppName));
        Assert.Equal(40, peer.State.Count);
    }

    [Fact]
    public async Task Connect_TwoPeers_EachServedOnItsOwnStream()
    {
        await using var hq = await ShimPeerHarness.ConnectAsync(Server.Address);
        await using var br = await ShimPeerHarness.ConnectAsync(Server.Address);
        var sha = TestLedger.Hash("two-peers");
        await CreateAsync(hq, sha);

        var onHq = await hq.InvokeAsync(_user, WhitelistFunctions.AssetExists, sha);
        var onBr = await br.InvokeAsync(_user, WhitelistFunctions.AssetExists, sha);

        // Each peer has its own ledger: the asset was committed on HQ's only.
        Assert.Equal(("true", "false"), (onHq.PayloadText, onBr.PayloadText));
    }

    private async Task CreateAsync(ShimPeerHarness peer, string sha, string owner = OwnerRoles.User, string app = "chrome")
    {
        var result = await peer.InvokeAsync(_admin, WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(sha, app, owner));
        Assert.Equal(200, result.Response.Status);
    }
}
