using Microsoft.Extensions.Logging;

namespace Pipeline.Ledger.Fabric.Chaincode;

/// <summary>Source-generated log messages of the chaincode-as-a-service host.</summary>
internal static partial class ChaincodeLog
{
    [LoggerMessage(EventId = 6450, Level = LogLevel.Information, Message = "Chaincode {PackageId} ({Contract}) serving the shim protocol on {Address}")]
    public static partial void Listening(ILogger logger, string packageId, string contract, string address);

    [LoggerMessage(EventId = 6451, Level = LogLevel.Information, Message = "Peer {Peer} connected; sent REGISTER for {PackageId}")]
    public static partial void PeerConnected(ILogger logger, string peer, string packageId);

    [LoggerMessage(EventId = 6452, Level = LogLevel.Information, Message = "Peer {Peer} is ready (REGISTERED, READY)")]
    public static partial void PeerReady(ILogger logger, string peer);

    [LoggerMessage(EventId = 6453, Level = LogLevel.Information, Message = "Peer {Peer} disconnected after {Transactions} transactions")]
    public static partial void PeerDisconnected(ILogger logger, string peer, long transactions);

    [LoggerMessage(EventId = 6454, Level = LogLevel.Debug, Message = "Transaction {TxId} on {ChannelId}: {Function} -> {Status}")]
    public static partial void TransactionCompleted(ILogger logger, string txId, string channelId, string function, int status);

    [LoggerMessage(EventId = 6455, Level = LogLevel.Warning, Message = "Transaction {TxId}: {Reason}; answered ERROR")]
    public static partial void TransactionRefused(ILogger logger, string txId, string reason);

    [LoggerMessage(EventId = 6456, Level = LogLevel.Warning, Message = "Message {Type} for tx {TxId} from peer {Peer} rejected: {Reason}")]
    public static partial void MessageRejected(ILogger logger, string type, string txId, string peer, string reason);

    [LoggerMessage(EventId = 6457, Level = LogLevel.Error, Message = "Conversation with peer {Peer} failed")]
    public static partial void ConversationFailed(ILogger logger, Exception exception, string peer);

    [LoggerMessage(EventId = 6458, Level = LogLevel.Error, Message = "Transaction {TxId} failed unexpectedly")]
    public static partial void TransactionCrashed(ILogger logger, Exception exception, string txId);
}
