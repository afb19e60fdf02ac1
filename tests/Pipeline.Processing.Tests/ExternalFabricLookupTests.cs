using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Chaincode;
using Pipeline.Ledger;
using Pipeline.Ledger.Fabric.Msp;
using Pipeline.Ledger.Fabric.Server;
using Pipeline.PeerIndex;
using Pipeline.Platform;
using Pipeline.Processing.Whitelist;
using Pipeline.Testing;
using PeerLoad = Pipeline.PeerIndex.PeerLoad;

namespace Pipeline.Processing.Tests;

/// <summary>The whitelist lookup configured purely by Processing:Whitelist:FabricPeers / FabricIdentity,
/// against Fabric Gateway services on loopback treated as an external network (the embedded peers'
/// gateways, their MSP files as the identity): real gRPC (plaintext, and TLS through a Kestrel TLS front
/// with a certificate from a test CA), a real redis-server peer index.</summary>
public sealed class ExternalFabricLookupTests(RedisServer redis) : IClassFixture<RedisServer>, IDisposable
{
    private const string Msp = "Org1MSP";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "processing-external-fabric-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task VerifyAsync_ConfiguredPlaintextPeers_AnswersAsInProcessAndRegistersThePeers()
    {
        await using var network = await StartNetworkAsync();
        await using var gateways = await EmbeddedPeerGateways.StartAsync(network, Msp, MspLayout.User, cancellationToken: CancellationToken.None);
        var settings = IdentitySettings();
        for (var i = 0; i < gateways.Endpoints.Count; i++)
        {
            settings.Add($"Processing:Whitelist:FabricPeers:{i}:Id=external-{gateways.Endpoints[i].PeerId}");
            settings.Add($"Processing:Whitelist:FabricPeers:{i}:Endpoint={gateways.Endpoints[i].Address}");
            settings.Add($"Processing:Whitelist:FabricPeers:{i}:Slots={4 + i}");
        }

        var options = PipelineConfiguration.Build(settings).Bind<WhitelistOptions>(WhitelistOptions.SectionName);
        var index = new PeerIndexOptions { Redis = redis.Endpoint, KeyPrefix = RedisServer.NewKeyPrefix(), Strategy = PeerSelectionStrategy.RoundRobin };
        var registry = new RedisPeerRegistry(redis.Connection, Options.Create(index));
        var answers = new List<WhitelistAnswer>();
        IReadOnlyList<PeerSnapshot> registered;
        IReadOnlyList<PeerLoad> clientLoads;
        await using (var external = await ExternalFabricLookup.StartAsync(options, network.Options.ChannelName, redis.Connection, index, NullLoggerFactory.Instance, CancellationToken.None))
        {
            for (var i = 0; i < 4; i++)
            {
                answers.Add(await external.Lookup.VerifyAsync(Queries, CancellationToken.None));
            }

            registered = await registry.ListAsync(CancellationToken.None);
            clientLoads = [.. external.Peers.Select(p => external.LoadOf(p.PeerId))];
        }

        var afterStop = await registry.ListAsync(CancellationToken.None);
        var expected = await InProcessAnswerAsync(network);

        Assert.Equal(["external-peer0", "external-peer1"], answers.Select(a => a.PeerId).Distinct().Order(StringComparer.Ordinal));
        Assert.All(answers, answer => Assert.Equal(expected.Results, answer.Results));
        Assert.Equal([true, true, false, false], expected.Results.Select(r => r.Exists));
        Assert.Equal([OwnerRoles.User, OwnerRoles.Admin], expected.Results.Take(2).Select(r => r.OwnerRole));
        Assert.Equal([true, false], expected.Results.Skip(2).Select(r => r.AppNameKnown));
        Assert.Equal(["external-peer0", "external-peer1"], registered.OrderBy(p => p.Index).Select(p => p.PeerId));
        Assert.Equal(gateways.Endpoints.Select(e => e.Address), registered.OrderBy(p => p.Index).Select(p => p.Endpoint));
        Assert.All(registered, p => Assert.Equal(Msp, p.MspId));
        // Nothing is in flight between lookups, so the client-side load the index holds is zero.
        Assert.All(registered, p => Assert.Equal(new PeerLoad(0, 0, 0), p.Load));
        Assert.All(clientLoads, l => Assert.Equal(new PeerLoad(0, 0, 0), l));
        Assert.Empty(afterStop);
    }

    [Fact]
    public async Task VerifyAsync_TlsPeerTrustingItsCa_AnswersAndAnotherCaIsRefused()
    {
        await using var network = await StartNetworkAsync();
        await using var gateways = await EmbeddedPeerGateways.StartAsync(network, Msp, MspLayout.User, cancellationToken: CancellationToken.None);
        using var peerCa = new TestTls("peer TLS CA");
        using var otherCa = new TestTls("some other CA");
        using var certificate = peerCa.IssueServer("peer0.orgtest.example.com");
        await using var front = await TlsGatewayFront.StartAsync(certificate, gateways.Endpoints[0].Address);
        var endpoint = front.Address;
        Assert.StartsWith("https://127.0.0.1:", endpoint, StringComparison.Ordinal);

        var trusting = TlsOptions(endpoint, peerCa.WriteCaPem(Path.Combine(_directory, "tlsca.pem")));
        var distrusting = TlsOptions(endpoint, otherCa.WriteCaPem(Path.Combine(_directory, "other-ca.pem")));
        var index = new PeerIndexOptions { Redis = redis.Endpoint, KeyPrefix = RedisServer.NewKeyPrefix() };
        WhitelistAnswer answer;
        await using (var external = await ExternalFabricLookup.StartAsync(trusting, network.Options.ChannelName, redis.Connection, index, NullLoggerFactory.Instance, CancellationToken.None))
        {
            answer = await external.Lookup.VerifyAsync(Queries, CancellationToken.None);
        }

        var refusedIndex = new PeerIndexOptions { Redis = redis.Endpoint, KeyPrefix = RedisServer.NewKeyPrefix() };
        await using var refused = await ExternalFabricLookup.StartAsync(distrusting, network.Options.ChannelName, redis.Connection, refusedIndex, NullLoggerFactory.Instance, CancellationToken.None);
        var error = await Assert.ThrowsAsync<WhitelistLookupException>(() => refused.Lookup.VerifyAsync(Queries, CancellationToken.None));
        var expected = await InProcessAnswerAsync(network);

        Assert.Equal("tls-peer", answer.PeerId);
        Assert.Equal(expected.Results, answer.Results);
        Assert.Equal("tls-peer", error.PeerId);
        Assert.Contains("SSL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Index_CallInFlightToAConfiguredPeer_ShowsInFlightOverSlotsAsItsLoad()
    {
        await using var network = await StartNetworkAsync();
        await using var gateways = await EmbeddedPeerGateways.StartAsync(network, Msp, MspLayout.User, cancellationToken: CancellationToken.None);
        using var peerCa = new TestTls("peer TLS CA");
        using var certificate = peerCa.IssueServer("peer0.orgtest.example.com");
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var front = await TlsGatewayFront.StartAsync(certificate, gateways.Endpoints[0].Address, () => gate.Task);
        var options = TlsOptions(front.Address, peerCa.WriteCaPem(Path.Combine(_directory, "tlsca.pem")));
        options.FabricPeers[0].Slots = 4;
        var index = new PeerIndexOptions { Redis = redis.Endpoint, KeyPrefix = RedisServer.NewKeyPrefix(), ReportInterval = TimeSpan.FromMilliseconds(50) };
        var registry = new RedisPeerRegistry(redis.Connection, Options.Create(index));
        await using var external = await ExternalFabricLookup.StartAsync(options, network.Options.ChannelName, redis.Connection, index, NullLoggerFactory.Instance, CancellationToken.None);

        var pending = external.Lookup.VerifyAsync(Queries, CancellationToken.None);
        var busy = await WaitForPeerAsync(registry, "tls-peer", p => p.Load.InFlight == 1);
        gate.SetResult();
        var answer = await pending;
        var idle = await WaitForPeerAsync(registry, "tls-peer", p => p.Load.InFlight == 0);

        Assert.Equal(new PeerLoad(25, 0, 1), busy.Load);
        Assert.Equal(front.Address, busy.Endpoint);
        Assert.Equal(new PeerLoad(0, 0, 0), idle.Load);
        Assert.Equal((await InProcessAnswerAsync(network)).Results, answer.Results);
    }

    private static readonly WhitelistQuery[] Queries =
        [new(Hash("chrome"), "chrome"), new(Hash("regedit"), "regedit"), new(Hash("patched"), "chrome"), new(Hash("malware"), "dropper")];

    private WhitelistOptions TlsOptions(string endpoint, string caFile)
    {
        var settings = IdentitySettings();
        settings.Add("Processing:Whitelist:FabricPeers:0:Id=tls-peer");
        settings.Add($"Processing:Whitelist:FabricPeers:0:Endpoint={endpoint}");
        settings.Add($"Processing:Whitelist:FabricPeers:0:TlsCaFile={caFile}");
        // The certificate names the peer's host, not the loopback address dialed.
        settings.Add("Processing:Whitelist:FabricPeers:0:ServerNameOverride=peer0.orgtest.example.com");
        return PipelineConfiguration.Build(settings).Bind<WhitelistOptions>(WhitelistOptions.SectionName);
    }

    private List<string> IdentitySettings() =>
    [
        "Processing:Whitelist:Transport=Gateway",
        $"Processing:Whitelist:FabricIdentity:MspId={Msp}",
        $"Processing:Whitelist:FabricIdentity:CertificateFile={MspLayout.Certificate(_directory, Msp, MspLayout.User)}",
        $"Processing:Whitelist:FabricIdentity:KeyFile={MspLayout.PrivateKey(_directory, Msp, MspLayout.User)}",
    ];

    private async Task<LedgerNetwork> StartNetworkAsync()
    {
        var network = await LedgerNetwork.StartAsync(new LedgerOptions { DataDirectory = _directory, Peers = 2, SyncWrites = false }, cancellationToken: CancellationToken.None);
        var admin = ClientIdentity.Admin("test-admin", Msp);
        await network.SubmitAsync(WhitelistFunctions.CreateAsset, [Hash("chrome"), "chrome", "120.0", "windows-x64", OwnerRoles.User], admin, CancellationToken.None);
        await network.SubmitAsync(WhitelistFunctions.CreateAsset, [Hash("regedit"), "regedit", "10.0", "windows-x64", OwnerRoles.Admin], admin, CancellationToken.None);
        return network;
    }

    private async Task<WhitelistAnswer> InProcessAnswerAsync(LedgerNetwork network)
    {
        var index = new PeerIndexOptions { Redis = redis.Endpoint, KeyPrefix = RedisServer.NewKeyPrefix() };
        await using var inProcess = await EmbeddedLedgerLookup.StartAsync(network, redis.Connection, index, NullLoggerFactory.Instance, Msp, CancellationToken.None);
        return await inProcess.Lookup.VerifyAsync(Queries, CancellationToken.None);
    }

    /// <summary>The peer's index entry once <paramref name="condition"/> holds (its reporter publishes every 50 ms).</summary>
    private static async Task<PeerSnapshot> WaitForPeerAsync(RedisPeerRegistry registry, string peerId, Func<PeerSnapshot, bool> condition)
    {
        PeerSnapshot? found = null;
        await Polling.UntilAsync(
            () =>
            {
                found = registry.ListAsync(CancellationToken.None).GetAwaiter().GetResult().SingleOrDefault(p => p.PeerId == peerId && condition(p));
                return found is not null;
            },
            TimeSpan.FromSeconds(20),
            () => $"peer {peerId} never reached the expected load in the index");
        return found!;
    }

    private static string Hash(string seed) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));
}
