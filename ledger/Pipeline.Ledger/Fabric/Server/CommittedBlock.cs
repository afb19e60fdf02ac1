namespace Pipeline.Ledger.Fabric.Server;

/// <summary>A block every peer committed, with its validation codes.</summary>
internal sealed record CommittedBlock(Block Block, IReadOnlyList<TxValidationCode> Codes);
