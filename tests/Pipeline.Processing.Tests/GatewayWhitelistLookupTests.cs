using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Chaincode;
using Pipeline.Ledger;
using Pipeline.PeerIndex;
using Pipeline.Processing.Whitelist;
using Pipeline.Testing;

namespace Pipeline.Processing.Tests;

/// <summary>The whitelist lookup over each embedded peer's Fabric Gateway (real gRPC on loopback,
/// signed proposals) answers exactly as the in-process lookup, with peers chosen by the real Redis
/// peer index.</summary>
public sealed class GatewayWhitelistLookupTests(RedisServer redis) : IClassFixture<RedisServer>, IDisposable
{
    private readonly string _ledgerDirectory = Path.Combine(Path.GetTempPath(), "processing-gateway-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_ledgerDirectory))
        {
            Directory.Delete(_ledgerDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task VerifyAsync_OverTheGateway_AnswersAsInProcessOnEveryPeer()
    {
        await using var network = await LedgerNetwork.StartAsync(new LedgerOptions { DataDirectory = _ledgerDirectory, Peers = 2, SyncWrites = false }, cancellationToken: CancellationToken.None);
        var chrome = Hash("chrome");
        var tool = Hash("regedit");
        var admin = ClientIdentity.Admin("test-admin", "Org1MSP");
        await network.SubmitAsync(WhitelistFunctions.CreateAsset, [chrome, "chrome", "120.0", "windows-x64", OwnerRoles.User], admin, CancellationToken.None);
        await network.SubmitAsync(WhitelistFunctions.CreateAsset, [tool, "regedit", "10.0", "windows-x64", OwnerRoles.Admin], admin, CancellationToken.None);
        WhitelistQuery[] queries = [new(chrome, "chrome"), new(tool, "regedit"), new(Hash("patched"), "chrome"), new(Hash("malware"), "dropper")];

        var index = new PeerIndexOptions { Redis = redis.Endpoint, KeyPrefix = RedisServer.NewKeyPrefix(), Strategy = PeerSelectionStrategy.RoundRobin };
        await using var gateway = await EmbeddedLedgerLookup.StartAsync(
            network, redis.Connection, index, NullLoggerFactory.Instance, "Org1MSP", WhitelistTransport.Gateway, "user", CancellationToken.None);
        var viaGateway = new List<WhitelistAnswer>();
        for (var i = 0; i < 4; i++)
        {
            viaGateway.Add(await gateway.Lookup.VerifyAsync(queries, CancellationToken.None));
        }

        await gateway.DisposeAsync();
        var inProcessIndex = new PeerIndexOptions { Redis = redis.Endpoint, KeyPrefix = RedisServer.NewKeyPrefix(), Strategy = PeerSelectionStrategy.RoundRobin };
        await using var inProcess = await EmbeddedLedgerLookup.StartAsync(network, redis.Connection, inProcessIndex, NullLoggerFactory.Instance, "Org1MSP", CancellationToken.None);
        var expected = await inProcess.Lookup.VerifyAsync(queries, CancellationToken.None);

        Assert.Equal(2, gateway.GatewayEndpoints.Count);
        Assert.All(gateway.GatewayEndpoints, e => Assert.StartsWith("http://127.0.0.1:", e.Address, StringComparison.Ordinal));
        Assert.Equal(["peer0", "peer1"], viaGateway.Select(a => a.PeerId).Distinct().Order(StringComparer.Ordinal));
        Assert.All(viaGateway, answer => Assert.Equal(expected.Results, answer.Results));
        Assert.Equal([true, true, false, false], expected.Results.Select(r => r.Exists));
        Assert.Equal([true, false], expected.Results.Skip(2).Select(r => r.AppNameKnown));
    }

    private static string Hash(string seed) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));
}
