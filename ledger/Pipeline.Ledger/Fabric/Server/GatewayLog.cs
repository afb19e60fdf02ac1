using Microsoft.Extensions.Logging;

namespace Pipeline.Ledger.Fabric.Server;

internal static partial class GatewayLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "gateway of {PeerId} listening on {Address}")]
    public static partial void Listening(ILogger logger, string peerId, string address);

    [LoggerMessage(EventId = 301, Level = LogLevel.Debug, Message = "gateway of {PeerId} submitted transaction {TxId} to the orderer")]
    public static partial void Submitted(ILogger logger, string peerId, string txId);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "gateway of {PeerId} rejected a {What}: {Reason}")]
    public static partial void Rejected(ILogger logger, string peerId, string what, string reason);
}
