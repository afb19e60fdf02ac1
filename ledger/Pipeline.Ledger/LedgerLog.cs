using Microsoft.Extensions.Logging;

namespace Pipeline.Ledger;

/// <summary>Source-generated log messages of the ledger.</summary>
internal static partial class LedgerLog
{
    [LoggerMessage(EventId = 6100, Level = LogLevel.Information, Message = "Peer {PeerId} opened at height {Height} (replayed {Replayed} blocks into its state)")]
    public static partial void PeerOpened(ILogger logger, string peerId, long height, long replayed);

    [LoggerMessage(EventId = 6101, Level = LogLevel.Information, Message = "Peer {PeerId} caught up from {SourceId}: blocks {From}..{To}")]
    public static partial void PeerCaughtUp(ILogger logger, string peerId, string sourceId, long from, long to);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Debug, Message = "Block {Number} cut with {Count} transactions")]
    public static partial void BlockCut(ILogger logger, long number, int count);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Critical, Message = "Peers disagree on validation codes of block {Number}: {PeerId} differs from {FirstPeerId}")]
    public static partial void ValidationDivergence(ILogger logger, long number, string peerId, string firstPeerId);

    [LoggerMessage(EventId = 6104, Level = LogLevel.Error, Message = "Delivering block {Number} failed; the orderer stops")]
    public static partial void DeliveryFailed(ILogger logger, Exception exception, long number);

    [LoggerMessage(EventId = 6105, Level = LogLevel.Information, Message = "Ledger network started in {DataDirectory} with {Peers} peers at height {Height}")]
    public static partial void NetworkStarted(ILogger logger, string dataDirectory, int peers, long height);

    [LoggerMessage(EventId = 6106, Level = LogLevel.Information, Message = "Peer {PeerId} added; the network now has {Peers} peers")]
    public static partial void PeerAdded(ILogger logger, string peerId, int peers);
}
