using System.Collections.Concurrent;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Pipeline.Ledger.Fabric.Client;
using Pipeline.Ledger.Fabric.Msp;

namespace Pipeline.Ledger.Fabric.Server;

/// <summary>
/// Every embedded peer of a <see cref="LedgerNetwork"/> behind its own Fabric Gateway gRPC service
/// on loopback, and the client side wired to it: one <see cref="GrpcChannel"/> and one
/// <see cref="Contract"/> per peer, signing proposals as one MSP identity. The piece that lets code
/// written against the in-process peers (the whitelist processor, <c>ledger bench</c>, the DTS
/// benchmark) take the gRPC path instead, peer by peer.
/// </summary>
/// <remarks>
/// <para>MSP material comes from the network's data directory (<c>pipeline ledger init</c>) and is
/// generated there for the MSP when it has none. The peers endorse as <c>peer@MSP</c>; the client
/// identity is any identity of that MSP (<see cref="MspLayout.User"/> by default).</para>
/// <para>Peers added to the network after start (<see cref="LedgerNetwork.AddPeerAsync"/>) get a
/// gateway and a contract through <see cref="AddPeerAsync"/>.</para>
/// <para>Dispose closes the channels, stops the gateways and releases the keys; the network belongs
/// to the caller and must outlive this object. Thread-safe.</para>
/// </remarks>
public sealed class EmbeddedPeerGateways : IAsyncDisposable
{
    private readonly LedgerNetwork _network;
    private readonly EmbeddedGatewayHost _host;
    private readonly MembershipRegistry _membership;
    private readonly Signer _endorser;
    private readonly Signer _client;
    private readonly ConcurrentDictionary<string, (GrpcChannel Channel, Contract Contract)> _peers = new(StringComparer.Ordinal);

    private EmbeddedPeerGateways(LedgerNetwork network, EmbeddedGatewayHost host, MembershipRegistry membership, Signer endorser, Signer client, Identity clientIdentity)
    {
        _network = network;
        _host = host;
        _membership = membership;
        _endorser = endorser;
        _client = client;
        ClientIdentity = clientIdentity;
    }

    /// <summary>The identity every proposal is created and signed by.</summary>
    public Identity ClientIdentity { get; }

    /// <summary>Where each served peer's gateway listens, in the order they started.</summary>
    public IReadOnlyList<GatewayEndpoint> Endpoints => _host.Endpoints;

    /// <summary>
    /// Starts a gateway for every current peer of <paramref name="network"/> on a free loopback port
    /// and connects a client to each.
    /// </summary>
    /// <param name="network">The embedded ledger (owned by the caller).</param>
    /// <param name="mspId">MSP of the peers and of the client, e.g. <c>Org1MSP</c>; generated in the data directory when missing.</param>
    /// <param name="clientIdentityName">Identity of <paramref name="mspId"/> that signs proposals (<see cref="MspLayout.User"/>, <see cref="MspLayout.Admin"/>, ...).</param>
    /// <param name="loggerFactory">Logging for the gateways (default: none).</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <exception cref="ArgumentException"><paramref name="mspId"/> is not a usable MSP id, or a key or certificate file holds no PEM key or certificate.</exception>
    /// <exception cref="IOException">The client or peer identity has no certificate or key in the MSP folder (e.g. <paramref name="clientIdentityName"/> was never issued).</exception>
    /// <exception cref="MspException">The MSP material in the data directory does not load.</exception>
    public static async Task<EmbeddedPeerGateways> StartAsync(
        LedgerNetwork network,
        string mspId = "Org1MSP",
        string clientIdentityName = MspLayout.User,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(mspId);
        ArgumentException.ThrowIfNullOrEmpty(clientIdentityName);
        MspGenerator.ValidateMspId(mspId);
        var dir = network.Options.DataDirectory;
        if (!File.Exists(MspLayout.CaCertificate(dir, mspId)))
        {
            MspGenerator.Generate(dir, mspId);
        }

        MembershipRegistry? membership = null;
        Signer? endorser = null;
        Signer? client = null;
        try
        {
            membership = MembershipRegistry.Load(dir);
            endorser = Signer.FromLedgerDirectory(dir, mspId, MspLayout.Peer);
            client = Signer.FromLedgerDirectory(dir, mspId, clientIdentityName);
            var clientIdentity = Identity.FromLedgerDirectory(dir, mspId, clientIdentityName);
            var sign = endorser;
            var host = await EmbeddedGatewayHost.StartAsync(
                network,
                membership,
                mspId,
                Identity.FromLedgerDirectory(dir, mspId, MspLayout.Peer).CertificatePem,
                bytes => sign.Sign(bytes.Span),
                basePort: 0,
                loggerFactory,
                cancellationToken).ConfigureAwait(false);
            var gateways = new EmbeddedPeerGateways(network, host, membership, endorser, client, clientIdentity);
            foreach (var endpoint in host.Endpoints)
            {
                gateways.Connect(endpoint);
            }

            return gateways;
        }
        catch
        {
            membership?.Dispose();
            endorser?.Dispose();
            client?.Dispose();
            throw;
        }
    }

    /// <summary>The whitelist contract through <paramref name="peerId"/>'s gateway.</summary>
    /// <exception cref="KeyNotFoundException">The peer has no gateway here (unknown, or added to the network without <see cref="AddPeerAsync"/>).</exception>
    public Contract GetContract(string peerId) =>
        TryGetContract(peerId, out var contract)
            ? contract
            : throw new KeyNotFoundException($"peer {peerId} has no gateway in this process (served: {string.Join(", ", Endpoints.Select(e => e.PeerId))})");

    /// <summary>The contract through <paramref name="peerId"/>'s gateway, when it has one.</summary>
    public bool TryGetContract(string peerId, out Contract contract)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        if (_peers.TryGetValue(peerId, out var served))
        {
            contract = served.Contract;
            return true;
        }

        contract = null!;
        return false;
    }

    /// <summary>
    /// Starts a gateway for a peer added to the network after start (a scale-up replica) and
    /// connects a client to it; a peer already served returns its endpoint unchanged.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The gateways were disposed.</exception>
    public async Task<GatewayEndpoint> AddPeerAsync(LedgerPeer peer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var endpoint = await _host.AddPeerAsync(peer, cancellationToken).ConfigureAwait(false);
        Connect(endpoint);
        return endpoint;
    }

    /// <summary>Closes the channels, stops every gateway and releases the keys.</summary>
    public async ValueTask DisposeAsync()
    {
        // Clients first, so the servers have no idle connections to drain.
        foreach (var (channel, _) in _peers.Values)
        {
            channel.Dispose();
        }

        _peers.Clear();
        await _host.DisposeAsync().ConfigureAwait(false);
        _membership.Dispose();
        _endorser.Dispose();
        _client.Dispose();
    }

    private void Connect(GatewayEndpoint endpoint)
    {
        if (_peers.ContainsKey(endpoint.PeerId))
        {
            return;
        }

        var channel = GrpcChannel.ForAddress(endpoint.Address);
        var contract = Gateway.Connect(ClientIdentity, _client, channel).GetNetwork(_network.Options.ChannelName).GetContract(_network.ContractName);
        if (!_peers.TryAdd(endpoint.PeerId, (channel, contract)))
        {
            channel.Dispose();
        }
    }
}
