using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Pipeline.Ledger;
using Pipeline.Ledger.Fabric.Client;
using Pipeline.Ledger.Fabric.Msp;
using Pipeline.Ledger.Fabric.Server;

namespace Pipeline.Cli.Commands;

/// <summary>For <c>ledger bench --transport gateway</c>: Gateway services in front of every peer of a
/// network, and the whitelist contract through each of them as <c>user@Org1MSP</c> (MSP material
/// generated in the data directory when missing).</summary>
internal sealed class BenchGateways : IAsyncDisposable
{
    private readonly EmbeddedGatewayHost _host;
    private readonly MembershipRegistry _membership;
    private readonly Signer _endorser;
    private readonly Signer _user;
    private readonly List<GrpcChannel> _channels;

    private BenchGateways(EmbeddedGatewayHost host, MembershipRegistry membership, Signer endorser, Signer user, List<GrpcChannel> channels, List<Contract> contracts)
    {
        _host = host;
        _membership = membership;
        _endorser = endorser;
        _user = user;
        _channels = channels;
        Contracts = contracts;
    }

    public IReadOnlyList<Contract> Contracts { get; }

    public IEnumerable<string> Endpoints => _host.Endpoints.Select(e => e.Address);

    public static async Task<BenchGateways> StartAsync(LedgerNetwork network, ILoggerFactory? logging, CancellationToken cancellationToken)
    {
        const string Msp = "Org1MSP";
        var dir = network.Options.DataDirectory;
        if (!File.Exists(MspLayout.CaCertificate(dir, Msp)))
        {
            MspGenerator.Generate(dir, Msp);
        }

        var membership = MembershipRegistry.Load(dir);
        var endorser = Signer.FromLedgerDirectory(dir, Msp, MspLayout.Peer);
        var user = Signer.FromLedgerDirectory(dir, Msp, MspLayout.User);
        var host = await EmbeddedGatewayHost.StartAsync(
            network, membership, Msp, Identity.FromLedgerDirectory(dir, Msp, MspLayout.Peer).CertificatePem, bytes => endorser.Sign(bytes.Span), 0, logging, cancellationToken)
            .ConfigureAwait(false);
        var identity = Identity.FromLedgerDirectory(dir, Msp, MspLayout.User);
        var channels = host.Endpoints.Select(e => GrpcChannel.ForAddress(e.Address)).ToList();
        var contracts = channels.Select(c => Gateway.Connect(identity, user, c).GetNetwork(network.Options.ChannelName).GetContract(network.ContractName)).ToList();
        return new BenchGateways(host, membership, endorser, user, channels, contracts);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        await _host.DisposeAsync().ConfigureAwait(false);
        _membership.Dispose();
        _endorser.Dispose();
        _user.Dispose();
    }
}
