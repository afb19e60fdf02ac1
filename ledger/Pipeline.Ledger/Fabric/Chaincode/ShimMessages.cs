using MessageType = Pipeline.Ledger.Fabric.Protos.Peer.ChaincodeMessage.Types.Type;

namespace Pipeline.Ledger.Fabric.Chaincode;

/// <summary>Fabric's names of <c>ChaincodeMessage</c> types, for messages and logs.</summary>
internal static class ShimMessages
{
    public static string Name(MessageType type) => type switch
    {
        MessageType.Undefined => "UNDEFINED",
        MessageType.Register => "REGISTER",
        MessageType.Registered => "REGISTERED",
        MessageType.Init => "INIT",
        MessageType.Ready => "READY",
        MessageType.Transaction => "TRANSACTION",
        MessageType.Completed => "COMPLETED",
        MessageType.Error => "ERROR",
        MessageType.GetState => "GET_STATE",
        MessageType.PutState => "PUT_STATE",
        MessageType.DelState => "DEL_STATE",
        MessageType.Response => "RESPONSE",
        MessageType.GetStateByRange => "GET_STATE_BY_RANGE",
        MessageType.QueryStateNext => "QUERY_STATE_NEXT",
        MessageType.QueryStateClose => "QUERY_STATE_CLOSE",
        MessageType.Keepalive => "KEEPALIVE",
        MessageType.GetHistoryForKey => "GET_HISTORY_FOR_KEY",
        _ => type.ToString().ToUpperInvariant() + $" ({(int)type})",
    };
}
