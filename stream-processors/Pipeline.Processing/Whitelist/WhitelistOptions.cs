namespace Pipeline.Processing.Whitelist;

/// <summary>Whitelist settings (configuration section "Processing:Whitelist").</summary>
public sealed class WhitelistOptions
{
    public const string SectionName = "Processing:Whitelist";

    /// <summary>FailClosed (default) or FailOpen.</summary>
    public LookupFailureMode OnLookupFailure { get; set; } = LookupFailureMode.FailClosed;

    /// <summary>Deadline of one ledger lookup, in milliseconds.</summary>
    public int LookupTimeoutMs { get; set; } = 2_000;

    /// <summary>Lookups (launches) in flight at once per instance.</summary>
    public int MaxConcurrentLookups { get; set; } = 32;

    /// <summary>Most hashes in one ledger call (the contract accepts up to 4096).</summary>
    public int MaxHashesPerLookup { get; set; } = 1_000;

    /// <summary>How the ledger peers are reached: InProcess (default) or Gateway (each peer's Fabric Gateway gRPC service on loopback, signed proposals).</summary>
    public WhitelistTransport Transport { get; set; } = WhitelistTransport.InProcess;

    /// <summary>Identity the processor signs Gateway proposals with: one written by `pipeline ledger init` in the ledger data directory (user or admin).</summary>
    public string GatewayIdentity { get; set; } = "user";

    /// <summary>Peers of an external Fabric network (FabricPeers:0:Id, :Endpoint, ...; table below). Non-empty = query them through their Gateway services (needs Transport=Gateway and FabricIdentity) instead of starting embedded peers; the channel is Ledger:ChannelName.</summary>
    public List<FabricPeerOptions> FabricPeers { get; set; } = [];

    /// <summary>Identity that signs proposals to FabricPeers (FabricIdentity:MspId, :CertificateFile, :KeyFile; table below).</summary>
    public FabricIdentityOptions FabricIdentity { get; set; } = new();

    /// <summary>Chaincode name of the whitelist contract on the external network's channel.</summary>
    public string FabricChaincode { get; set; } = "whitelist";

    /// <summary>Whether the processor queries an external Fabric network (FabricPeers is non-empty).</summary>
    public bool UsesExternalFabric => FabricPeers.Count > 0;

    /// <summary>Checks the values and names the first bad one.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        if (LookupTimeoutMs is < 1 or > 600_000)
        {
            throw new ArgumentException($"Processing:Whitelist:LookupTimeoutMs must be 1..600000, got {LookupTimeoutMs}");
        }
        if (MaxConcurrentLookups is < 1 or > 1024)
        {
            throw new ArgumentException($"Processing:Whitelist:MaxConcurrentLookups must be 1..1024, got {MaxConcurrentLookups}");
        }
        if (MaxHashesPerLookup is < 1 or > 4096)
        {
            throw new ArgumentException($"Processing:Whitelist:MaxHashesPerLookup must be 1..4096, got {MaxHashesPerLookup}");
        }
        if (!Enum.IsDefined(Transport))
        {
            throw new ArgumentException($"Processing:Whitelist:Transport must be InProcess or Gateway, got {Transport}");
        }
        if (string.IsNullOrWhiteSpace(GatewayIdentity))
        {
            throw new ArgumentException("Processing:Whitelist:GatewayIdentity must name an identity (user or admin)");
        }
        if (!Enum.IsDefined(OnLookupFailure))
        {
            throw new ArgumentException($"Processing:Whitelist:OnLookupFailure must be FailClosed or FailOpen, got {OnLookupFailure}");
        }

        if (UsesExternalFabric)
        {
            ValidateExternalFabric();
        }
    }

    private void ValidateExternalFabric()
    {
        const string Section = "Processing:Whitelist:";
        if (Transport != WhitelistTransport.Gateway)
        {
            throw new ArgumentException(
                $"{Section}FabricPeers lists {FabricPeers.Count} external peer(s) but {Section}Transport is {Transport}: external Fabric peers are reached only " +
                $"through their Gateway services; set {Section}Transport=Gateway (or remove FabricPeers to use the embedded peers)");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < FabricPeers.Count; i++)
        {
            var peer = FabricPeers[i];
            var key = $"{Section}FabricPeers:{i}";
            if (!Pipeline.PeerIndex.PeerRegistration.IsValidName(peer.Id))
            {
                throw new ArgumentException($"{key}:Id must be 1-128 letters, digits, '.', '_' or '-' (not starting with '-'), got '{peer.Id}'");
            }

            if (!ids.Add(peer.Id))
            {
                throw new ArgumentException($"{key}:Id '{peer.Id}' names the same peer as an earlier entry of {Section}FabricPeers");
            }

            if (!Uri.TryCreate(peer.Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("https" or "http")
                || string.IsNullOrEmpty(endpoint.Host) || endpoint.PathAndQuery != "/")
            {
                throw new ArgumentException($"{key}:Endpoint of peer '{peer.Id}' must be a URI https://host:port or http://host:port, got '{peer.Endpoint}'");
            }

            var tls = endpoint.Scheme == "https";
            if (tls && string.IsNullOrWhiteSpace(peer.TlsCaFile))
            {
                throw new ArgumentException($"{key}:TlsCaFile must name the PEM CA file that peer '{peer.Id}''s TLS certificate chains to (its endpoint {peer.Endpoint} is https)");
            }

            if (!tls && !string.IsNullOrWhiteSpace(peer.TlsCaFile))
            {
                throw new ArgumentException($"{key}:TlsCaFile is set but peer '{peer.Id}''s endpoint {peer.Endpoint} is http (no TLS); use https://");
            }

            if (!tls && !string.IsNullOrWhiteSpace(peer.ServerNameOverride))
            {
                throw new ArgumentException($"{key}:ServerNameOverride is set but peer '{peer.Id}''s endpoint {peer.Endpoint} is http (no TLS certificate to check)");
            }

            if (peer.Slots is < 1 or > 100_000)
            {
                throw new ArgumentException($"{key}:Slots of peer '{peer.Id}' must be 1..100000, got {peer.Slots}");
            }

            if (!string.IsNullOrEmpty(peer.MspId) && !Pipeline.PeerIndex.PeerRegistration.IsValidName(peer.MspId))
            {
                throw new ArgumentException($"{key}:MspId of peer '{peer.Id}' must be 1-128 letters, digits, '.', '_' or '-', got '{peer.MspId}'");
            }
        }

        if (!Pipeline.PeerIndex.PeerRegistration.IsValidName(FabricIdentity.MspId))
        {
            throw new ArgumentException($"{Section}FabricIdentity:MspId must name the MSP of the signing identity (e.g. OrgHQMSP), got '{FabricIdentity.MspId}'");
        }

        if (string.IsNullOrWhiteSpace(FabricIdentity.CertificateFile))
        {
            throw new ArgumentException($"{Section}FabricIdentity:CertificateFile must name the PEM certificate that signs proposals to {Section}FabricPeers");
        }

        if (string.IsNullOrWhiteSpace(FabricIdentity.KeyFile))
        {
            throw new ArgumentException($"{Section}FabricIdentity:KeyFile must name the PEM private key of {Section}FabricIdentity:CertificateFile");
        }

        if (string.IsNullOrWhiteSpace(FabricChaincode))
        {
            throw new ArgumentException($"{Section}FabricChaincode must name the whitelist chaincode on the channel");
        }
    }
}
