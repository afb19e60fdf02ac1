using System.Text.Json;
using Pipeline.Chaincode;
using Pipeline.Ledger.Fabric.Client;
using Pipeline.Ledger.Fabric.Msp;
using Pipeline.Ledger.Fabric.Server;

namespace Pipeline.Ledger.Tests;

/// <summary><see cref="EmbeddedPeerGateways"/> over real gRPC on loopback: a gateway and a contract
/// per peer (MSP material generated when missing), a scale-up replica served after start, and the
/// errors that name their cause.</summary>
public sealed class EmbeddedPeerGatewaysTests
{
    [Fact]
    public async Task StartAsync_EveryPeerAndAnAddedReplica_AnswerVerifyThroughTheirOwnGateway()
    {
        using var dir = new TestLedger();
        await using var network = await LedgerNetwork.StartAsync(dir.Options(peers: 2));
        var chrome = TestLedger.Hash("chrome");
        await network.SubmitAsync(WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(chrome), TestLedger.Admin, CancellationToken.None);

        await using var gateways = await EmbeddedPeerGateways.StartAsync(network);
        var replica = await network.AddPeerAsync(CancellationToken.None);
        Assert.False(gateways.TryGetContract(replica.Id, out _));
        var added = await gateways.AddPeerAsync(replica);
        var again = await gateways.AddPeerAsync(replica);

        Assert.True(File.Exists(MspLayout.CaCertificate(dir.Directory, "Org1MSP")));
        Assert.Equal(["peer0", "peer1", replica.Id], gateways.Endpoints.Select(e => e.PeerId));
        Assert.Equal(3, gateways.Endpoints.Select(e => e.Address).Distinct().Count());
        Assert.Equal(added, again);
        Assert.Equal(new Identity("Org1MSP", File.ReadAllText(MspLayout.Certificate(dir.Directory, "Org1MSP", MspLayout.User))), gateways.ClientIdentity);
        foreach (var endpoint in gateways.Endpoints)
        {
            var completedBefore = network.GetPeer(endpoint.PeerId).GetLoad().CompletedRequests;
            var json = await gateways.GetContract(endpoint.PeerId).EvaluateTransactionAsync(WhitelistFunctions.VerifyExecutions, [chrome]);
            var check = Assert.Single(JsonSerializer.Deserialize<ExecutionCheck[]>(json, ContractJson.Options)!);
            Assert.True(check.Exists, endpoint.PeerId);
            Assert.True(network.GetPeer(endpoint.PeerId).GetLoad().CompletedRequests > completedBefore, $"{endpoint.PeerId}'s own peer answered");
        }
    }

    [Fact]
    public async Task GetContract_PeerWithoutGateway_ThrowsNamingThePeer()
    {
        using var dir = new TestLedger();
        await using var network = await LedgerNetwork.StartAsync(dir.Options(peers: 1));
        await using var gateways = await EmbeddedPeerGateways.StartAsync(network);

        var ex = Assert.Throws<KeyNotFoundException>(() => gateways.GetContract("peer7"));

        Assert.Contains("peer7", ex.Message, StringComparison.Ordinal);
        Assert.Contains("peer0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_ClientIdentityNeverIssued_ThrowsIOExceptionAndLeavesNoGateway()
    {
        using var dir = new TestLedger();
        await using var network = await LedgerNetwork.StartAsync(dir.Options(peers: 1));

        await Assert.ThrowsAnyAsync<IOException>(() => EmbeddedPeerGateways.StartAsync(network, "Org1MSP", "auditor"));

        // The MSP was generated, and a second start with a real identity works.
        await using var gateways = await EmbeddedPeerGateways.StartAsync(network, "Org1MSP", MspLayout.Admin);
        Assert.Equal("Org1MSP", gateways.ClientIdentity.MspId);
    }

    [Fact]
    public async Task AddPeerAsync_AfterDispose_ThrowsObjectDisposed()
    {
        using var dir = new TestLedger();
        await using var network = await LedgerNetwork.StartAsync(dir.Options(peers: 1));
        var gateways = await EmbeddedPeerGateways.StartAsync(network);
        await gateways.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => gateways.AddPeerAsync(network.Peers[0]));
    }
}
