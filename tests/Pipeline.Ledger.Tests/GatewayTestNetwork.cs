using Grpc.Net.Client;
using Pipeline.Ledger.Fabric.Client;
using Pipeline.Ledger.Fabric.Msp;
using Pipeline.Ledger.Fabric.Server;

namespace Pipeline.Ledger.Tests;

/// <summary>An embedded ledger (two peers) with its Gateway services on loopback, MSP material for
/// Org1MSP and Org2MSP in a throw-away directory, and gRPC channels the tests connect through.</summary>
internal sealed class GatewayTestNetwork : IAsyncDisposable
{
    private readonly List<GrpcChannel> _channels = [];
    private readonly List<Signer> _signers = [];

    private GatewayTestNetwork(TestLedger dir, LedgerNetwork ledger, MembershipRegistry membership, EmbeddedGatewayHost host, Signer endorser)
    {
        Dir = dir;
        Ledger = ledger;
        Membership = membership;
        Host = host;
        _signers.Add(endorser);
    }

    public TestLedger Dir { get; }

    public LedgerNetwork Ledger { get; }

    public MembershipRegistry Membership { get; }

    public EmbeddedGatewayHost Host { get; }

    public static async Task<GatewayTestNetwork> StartAsync()
    {
        var dir = new TestLedger();
        MspGenerator.Generate(dir.Directory, "Org1MSP");
        MspGenerator.Generate(dir.Directory, "Org2MSP");
        var ledger = await LedgerNetwork.StartAsync(dir.Options(peers: 2));
        var membership = MembershipRegistry.Load(dir.Directory);
        var endorser = Signer.FromLedgerDirectory(dir.Directory, "Org1MSP", MspLayout.Peer);
        var host = await EmbeddedGatewayHost.StartAsync(
            ledger,
            membership,
            "Org1MSP",
            Identity.FromLedgerDirectory(dir.Directory, "Org1MSP", MspLayout.Peer).CertificatePem,
            bytes => endorser.Sign(bytes.Span));
        return new GatewayTestNetwork(dir, ledger, membership, host, endorser);
    }

    /// <summary>The whitelist contract through peer <paramref name="peerIndex"/>'s gateway as <paramref name="name"/> of <paramref name="mspId"/>.</summary>
    public Contract Contract(string name, string mspId = "Org1MSP", int peerIndex = 0, GatewayTimeouts? timeouts = null) =>
        Connect(Identity.FromLedgerDirectory(Dir.Directory, mspId, name), Signer.FromLedgerDirectory(Dir.Directory, mspId, name), peerIndex, timeouts)
            .GetNetwork("whitelist").GetContract("whitelist");

    public Gateway Connect(Identity identity, Signer signer, int peerIndex = 0, GatewayTimeouts? timeouts = null)
    {
        var channel = GrpcChannel.ForAddress(Host.Endpoints[peerIndex].Address);
        _channels.Add(channel);
        _signers.Add(signer);
        return Gateway.Connect(identity, signer, channel, timeouts);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        await Host.DisposeAsync();
        await Ledger.DisposeAsync();
        Membership.Dispose();
        foreach (var signer in _signers)
        {
            signer.Dispose();
        }

        Dir.Dispose();
    }
}
