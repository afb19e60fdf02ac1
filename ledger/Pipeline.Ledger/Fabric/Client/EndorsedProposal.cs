using Pipeline.Ledger.Fabric.Protos.Common;

namespace Pipeline.Ledger.Fabric.Client;

/// <summary>An endorsed, not yet submitted transaction: its id, the endorsed result and the prepared envelope (unsigned).</summary>
/// <remarks>Submit it with <see cref="Contract.SubmitAsync(EndorsedProposal, CancellationToken)"/>; it can be held
/// and submitted later, as Fabric's clients allow (validation then decides whether its reads are still current).</remarks>
public sealed class EndorsedProposal
{
    internal EndorsedProposal(string txId, byte[] result, Envelope prepared)
    {
        TxId = txId;
        Result = result;
        Prepared = prepared;
    }

    /// <summary>Transaction id.</summary>
    public string TxId { get; }

    /// <summary>The contract's response payload, as endorsed.</summary>
    public byte[] Result { get; }

    internal Envelope Prepared { get; }
}
