namespace Pipeline.Ledger;

/// <summary>A simulated, endorsed proposal not yet ordered (the gateway's Endorse step).</summary>
/// <param name="Transaction">What will be ordered.</param>
/// <param name="Payload">Contract response (JSON).</param>
public sealed record EndorsedTransaction(LedgerTransaction Transaction, byte[] Payload);
