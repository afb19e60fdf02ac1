using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Ledger.Fabric.Client;
using Pipeline.PeerIndex;
using StackExchange.Redis;
using IndexLoad = Pipeline.PeerIndex.PeerLoad;

namespace Pipeline.Processing.Whitelist;

/// <summary>Wires a whitelist lookup over the peers of an external Fabric network
/// (<see cref="WhitelistOptions.FabricPeers"/>): one gRPC channel per configured endpoint (TLS trusting
/// the peer's CA file), proposals signed by <see cref="WhitelistOptions.FabricIdentity"/>, peers chosen
/// by the Redis peer index. No embedded ledger is involved.</summary>
/// <remarks>
/// <para>External peers do not heartbeat into the index, so this registers every configured peer
/// itself and runs one <see cref="PeerLoadReporter"/> per peer whose load is
/// <see cref="ClientSidePeerLoad"/>: this process's in-flight calls to the peer over its Slots. Several
/// processor instances sharing one index would overwrite each other's reports of the same peer ids;
/// give each its own <c>PeerIndex:PeerGroup</c> (or key prefix).</para>
/// <para>Dispose stops the reporters (which deregister the peers), closes the channels and releases
/// the key. The Redis connection belongs to the caller.</para>
/// </remarks>
public sealed class ExternalFabricLookup : IAsyncDisposable
{
    private readonly List<PeerLoadReporter> _reporters;
    private readonly List<GrpcChannel> _channels;
    private readonly Signer _signer;
    private readonly Dictionary<string, ClientSidePeerLoad> _loads;

    private ExternalFabricLookup(
        List<PeerLoadReporter> reporters, List<GrpcChannel> channels, Signer signer, Dictionary<string, ClientSidePeerLoad> loads,
        RedisPeerSelector selector, IWhitelistLookup lookup, IReadOnlyList<PeerRegistration> peers)
    {
        _reporters = reporters;
        _channels = channels;
        _signer = signer;
        _loads = loads;
        Selector = selector;
        Lookup = lookup;
        Peers = peers;
    }

    /// <summary>The selector (its counters show fallback and no-capacity lookups).</summary>
    public RedisPeerSelector Selector { get; }

    /// <summary>The lookup to hand to <see cref="WhitelistProcessor"/>.</summary>
    public IWhitelistLookup Lookup { get; }

    /// <summary>The configured peers as registered in the index, in configuration order.</summary>
    public IReadOnlyList<PeerRegistration> Peers { get; }

    /// <summary>This client's view of <paramref name="peerId"/>'s load (what its reporter publishes).</summary>
    /// <exception cref="KeyNotFoundException">The peer is not configured.</exception>
    public IndexLoad LoadOf(string peerId) =>
        _loads.TryGetValue(peerId, out var load) ? load.ReadLoad() : throw new KeyNotFoundException($"peer {peerId} is not in Processing:Whitelist:FabricPeers");

    /// <summary>Loads the identity, opens a channel per peer, registers the peers in the index and starts reporting their client-side load.</summary>
    /// <param name="options">Whitelist options with FabricPeers set (validated here).</param>
    /// <param name="channelName">The Fabric channel the chaincode runs on (<c>Ledger:ChannelName</c>).</param>
    /// <param name="redis">Peer index connection (owned by the caller).</param>
    /// <param name="index">Peer index options (strategy, group, key prefix, report interval).</param>
    /// <param name="loggers">Logging.</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <exception cref="ArgumentException">An option is invalid, or a certificate, key or CA file is missing, unreadable or of the wrong kind; the message names the key and the path.</exception>
    public static async Task<ExternalFabricLookup> StartAsync(
        WhitelistOptions options,
        string channelName,
        IConnectionMultiplexer redis,
        PeerIndexOptions index,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(channelName);
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(loggers);
        if (!options.UsesExternalFabric)
        {
            throw new ArgumentException($"{WhitelistOptions.SectionName}:FabricPeers is empty: there is no external Fabric peer to query");
        }

        options.Validate();
        var (identity, signer) = LoadIdentity(options.FabricIdentity);
        var channels = new List<GrpcChannel>();
        var reporters = new List<PeerLoadReporter>();
        try
        {
            var wrapped = Options.Create(index);
            var registry = new RedisPeerRegistry(redis, wrapped);
            var contracts = new Dictionary<string, Contract>(StringComparer.Ordinal);
            var loads = new Dictionary<string, ClientSidePeerLoad>(StringComparer.Ordinal);
            var peers = new List<PeerRegistration>();
            for (var i = 0; i < options.FabricPeers.Count; i++)
            {
                var peer = options.FabricPeers[i];
                var channel = FabricPeerChannel.Create(peer, $"{WhitelistOptions.SectionName}:FabricPeers:{i}");
                channels.Add(channel);
                var load = new ClientSidePeerLoad(peer.Slots);
                loads[peer.Id] = load;
                contracts[peer.Id] = Gateway.Connect(identity, signer, channel.Intercept(load))
                    .GetNetwork(channelName)
                    .GetContract(options.FabricChaincode);
                var registration = new PeerRegistration(peer.Id, string.IsNullOrEmpty(peer.MspId) ? identity.MspId : peer.MspId, peer.Endpoint, i);
                peers.Add(registration);
                var reporter = new PeerLoadReporter(registry, load, registration, wrapped, loggers.CreateLogger<PeerLoadReporter>());
                reporters.Add(reporter);
                await reporter.ReportOnceAsync(cancellationToken).ConfigureAwait(false);
                await reporter.StartAsync(cancellationToken).ConfigureAwait(false);
            }

            var selector = new RedisPeerSelector(redis, wrapped, loggers.CreateLogger<RedisPeerSelector>());
            var lookup = new GatewayWhitelistLookup(
                selector,
                id => contracts.TryGetValue(id, out var contract)
                    ? contract
                    : throw new WhitelistLookupException($"peer {id} was selected from the index but is not in {WhitelistOptions.SectionName}:FabricPeers (another client registers peers in group '{index.PeerGroup}')", id),
                id => loads.TryGetValue(id, out var load) ? load.ReadLoad() : null);
            return new ExternalFabricLookup(reporters, channels, signer, loads, selector, lookup, peers);
        }
        catch
        {
            await StopAsync(reporters).ConfigureAwait(false);
            channels.ForEach(c => c.Dispose());
            signer.Dispose();
            throw;
        }
    }

    /// <summary>Stops the reporters (deregistering the peers), closes the channels and releases the key.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(_reporters).ConfigureAwait(false);
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        _signer.Dispose();
    }

    /// <summary>The certificate and the key of <paramref name="options"/>, checked to be one pair.</summary>
    /// <exception cref="ArgumentException">A file is missing, unreadable, of the wrong kind, or the key is not the certificate's; the message names the key and the path.</exception>
    internal static (Identity Identity, Signer Signer) LoadIdentity(FabricIdentityOptions options)
    {
        const string Section = WhitelistOptions.SectionName + ":FabricIdentity";
        Identity identity;
        try
        {
            identity = Identity.FromFile(options.MspId, options.CertificateFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{Section}:CertificateFile: cannot read '{options.CertificateFile}': {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{Section}:CertificateFile: '{options.CertificateFile}' holds no PEM X.509 certificate: {e.Message}", e);
        }

        Signer signer;
        try
        {
            signer = Signer.FromFile(options.KeyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{Section}:KeyFile: cannot read '{options.KeyFile}': {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{Section}:KeyFile: '{options.KeyFile}' holds no PEM ECDSA P-256 private key: {e.Message}", e);
        }

        // A key that is not the certificate's signs proposals every peer rejects; say so at start.
        using var certificate = X509Certificate2.CreateFromPem(identity.CertificatePem);
        using var publicKey = certificate.GetECDsaPublicKey();
        ReadOnlySpan<byte> probe = "pipeline whitelist identity probe"u8;
        if (publicKey is null || !publicKey.VerifyData(probe, signer.Sign(probe), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
        {
            signer.Dispose();
            throw new ArgumentException($"{Section}:KeyFile '{options.KeyFile}' is not the private key of {Section}:CertificateFile '{options.CertificateFile}'");
        }

        return (identity, signer);
    }

    private static async Task StopAsync(List<PeerLoadReporter> reporters)
    {
        foreach (var reporter in reporters)
        {
            await reporter.StopAsync(CancellationToken.None).ConfigureAwait(false);
            reporter.Dispose();
        }
    }
}
