namespace Pipeline.Processing.Whitelist;

/// <summary>How the whitelist processor reaches the ledger peers the peer index selects.</summary>
public enum WhitelistTransport
{
    /// <summary>Direct calls into the embedded peers of this process.</summary>
    InProcess = 0,

    /// <summary>The Fabric Gateway gRPC service of each peer, through the C# Gateway client (signed proposals, loopback HTTP/2).</summary>
    Gateway = 1,
}
