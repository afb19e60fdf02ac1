namespace Pipeline.Ledger.Fabric.Client;

/// <summary>One failed node of a Gateway error (Fabric's <c>gateway.ErrorDetail</c>).</summary>
/// <param name="Address">Endpoint of the peer or orderer.</param>
/// <param name="MspId">Its organisation.</param>
/// <param name="Message">What it said.</param>
public sealed record GatewayErrorDetail(string Address, string MspId, string Message);
