namespace Pipeline.Chaincode;

/// <summary>An event set by a transaction (name and payload).</summary>
public sealed record ChaincodeEvent(string Name, byte[] Payload);
