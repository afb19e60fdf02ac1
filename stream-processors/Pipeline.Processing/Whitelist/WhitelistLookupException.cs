namespace Pipeline.Processing.Whitelist;

/// <summary>A ledger lookup could not be answered; names the peer when one was chosen.</summary>
public sealed class WhitelistLookupException(string message, string? peerId, Exception? inner = null) : Exception(message, inner)
{
    public string? PeerId { get; } = peerId;
}
