namespace Pipeline.Chaincode;

/// <summary>One key and its value from a range query.</summary>
public sealed record StateEntry(string Key, byte[] Value);
