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
    }
}
