namespace Pipeline.Ledger.Fabric.Client;

/// <summary>A chaincode event of a committed, valid transaction.</summary>
/// <param name="BlockNumber">Block holding the transaction.</param>
/// <param name="TxId">Transaction that set the event.</param>
/// <param name="ChaincodeName">Chaincode that set it.</param>
/// <param name="EventName">Event name.</param>
/// <param name="Payload">Event payload.</param>
public sealed record CommittedChaincodeEvent(ulong BlockNumber, string TxId, string ChaincodeName, string EventName, byte[] Payload);
