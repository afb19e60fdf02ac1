using Google.Protobuf;
using Grpc.Core;
using Pipeline.Ledger.Fabric.Protos.Common;
using Pipeline.Ledger.Fabric.Protos.Gateway;

namespace Pipeline.Ledger.Fabric.Client;

/// <summary>
/// A chaincode on a channel: <see cref="EvaluateTransactionAsync"/> queries one peer;
/// <see cref="SubmitTransactionAsync(string, IReadOnlyList{string}, CancellationToken)"/> endorses, signs the prepared envelope, submits it to the
/// orderer and waits for its commit status.
/// </summary>
/// <remarks>Each stage has its own deadline (<see cref="GatewayTimeouts"/>) and its own exception type
/// carrying the transaction id and the peers' error details. Cancelling the token cancels the call
/// in progress with <see cref="OperationCanceledException"/>. Thread-safe.</remarks>
public sealed class Contract
{
    internal Contract(Network network, string chaincodeName)
    {
        Network = network;
        ChaincodeName = chaincodeName;
    }

    /// <summary>Chaincode name.</summary>
    public string ChaincodeName { get; }

    /// <summary>The channel.</summary>
    public Network Network { get; }

    private Gateway Gateway => Network.Gateway;

    /// <summary>Runs <paramref name="function"/> on the gateway's peer without ordering it; returns the contract's payload.</summary>
    /// <exception cref="EvaluateException">The gateway or the contract refused it.</exception>
    public async Task<byte[]> EvaluateTransactionAsync(string function, IReadOnlyList<string> args, CancellationToken cancellationToken = default)
    {
        var proposal = NewProposal(function, args);
        var request = new EvaluateRequest { TransactionId = proposal.TxId, ChannelId = Network.Name, ProposedTransaction = proposal.Signed };
        try
        {
            var response = await Gateway.Client.EvaluateAsync(request, deadline: Deadline(Gateway.Timeouts.Evaluate), cancellationToken: cancellationToken).ConfigureAwait(false);
            return response.Result?.Payload.ToByteArray() ?? [];
        }
        catch (RpcException ex)
        {
            ThrowIfCancelled(ex, cancellationToken);
            throw new EvaluateException(proposal.TxId, ex);
        }
    }

    /// <summary>Endorses, submits and waits for commit; returns the contract's payload.</summary>
    /// <exception cref="EndorseException">Endorsement refused (nothing was ordered).</exception>
    /// <exception cref="SubmitException">The orderer did not take it.</exception>
    /// <exception cref="CommitStatusException">The commit status could not be read.</exception>
    /// <exception cref="CommitException">It committed as invalid.</exception>
    public async Task<byte[]> SubmitTransactionAsync(string function, IReadOnlyList<string> args, CancellationToken cancellationToken = default)
    {
        var endorsed = await EndorseAsync(function, args, cancellationToken).ConfigureAwait(false);
        return await SubmitTransactionAsync(endorsed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Submits an endorsed transaction and waits for commit; returns the contract's payload.</summary>
    /// <exception cref="SubmitException">The orderer did not take it.</exception>
    /// <exception cref="CommitStatusException">The commit status could not be read.</exception>
    /// <exception cref="CommitException">It committed as invalid.</exception>
    public async Task<byte[]> SubmitTransactionAsync(EndorsedProposal endorsed, CancellationToken cancellationToken = default)
    {
        var submitted = await SubmitAsync(endorsed, cancellationToken).ConfigureAwait(false);
        return submitted.Status.IsSuccessful ? submitted.Result : throw new CommitException(submitted.Status);
    }

    /// <summary>Endorses, submits and waits for the commit status, which is returned whether valid or not.</summary>
    /// <exception cref="EndorseException">Endorsement refused (nothing was ordered).</exception>
    /// <exception cref="SubmitException">The orderer did not take it.</exception>
    /// <exception cref="CommitStatusException">The commit status could not be read.</exception>
    public async Task<SubmittedTransaction> SubmitAsync(string function, IReadOnlyList<string> args, CancellationToken cancellationToken = default)
    {
        var endorsed = await EndorseAsync(function, args, cancellationToken).ConfigureAwait(false);
        return await SubmitAsync(endorsed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Builds, signs and endorses a proposal; nothing is ordered yet.</summary>
    /// <exception cref="EndorseException">The gateway or the contract refused it.</exception>
    public async Task<EndorsedProposal> EndorseAsync(string function, IReadOnlyList<string> args, CancellationToken cancellationToken = default)
    {
        var proposal = NewProposal(function, args);
        var txId = proposal.TxId;
        Envelope prepared;
        try
        {
            var endorsed = await Gateway.Client.EndorseAsync(
                new EndorseRequest { TransactionId = txId, ChannelId = Network.Name, ProposedTransaction = proposal.Signed },
                deadline: Deadline(Gateway.Timeouts.Endorse),
                cancellationToken: cancellationToken).ConfigureAwait(false);
            prepared = endorsed.PreparedTransaction
                ?? throw new EndorseException($"gateway answered Endorse of transaction {txId} without a prepared transaction");
        }
        catch (RpcException ex)
        {
            ThrowIfCancelled(ex, cancellationToken);
            throw new EndorseException(txId, ex);
        }

        try
        {
            return new EndorsedProposal(txId, TransactionEnvelopes.ChaincodeResponse(prepared).Payload.ToByteArray(), prepared);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or FormatException)
        {
            throw new EndorseException($"gateway's prepared transaction {txId} is not an endorser transaction: {ex.Message}", ex);
        }
    }

    /// <summary>Signs the endorsed envelope, submits it and waits for the commit status (returned whether valid or not).</summary>
    /// <exception cref="SubmitException">The orderer did not take it.</exception>
    /// <exception cref="CommitStatusException">The commit status could not be read.</exception>
    public async Task<SubmittedTransaction> SubmitAsync(EndorsedProposal endorsed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endorsed);
        var txId = endorsed.TxId;
        var prepared = endorsed.Prepared;
        var envelope = new Envelope { Payload = prepared.Payload, Signature = ByteString.CopyFrom(Gateway.Signer.Sign(prepared.Payload.Span)) };
        try
        {
            await Gateway.Client.SubmitAsync(
                new SubmitRequest { TransactionId = txId, ChannelId = Network.Name, PreparedTransaction = envelope },
                deadline: Deadline(Gateway.Timeouts.Submit),
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            ThrowIfCancelled(ex, cancellationToken);
            throw new SubmitException(txId, ex);
        }

        var status = await GetCommitStatusAsync(txId, cancellationToken).ConfigureAwait(false);
        return new SubmittedTransaction(txId, endorsed.Result, status);
    }

    /// <summary>Waits for the validation code of <paramref name="txId"/> (submitted by anyone on this channel).</summary>
    /// <exception cref="CommitStatusException">The gateway refused or the deadline passed.</exception>
    public async Task<CommitStatus> GetCommitStatusAsync(string txId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(txId);
        var request = new CommitStatusRequest { TransactionId = txId, ChannelId = Network.Name, Identity = Gateway.Identity.Serialize() }.ToByteString();
        var signed = new SignedCommitStatusRequest { Request = request, Signature = ByteString.CopyFrom(Gateway.Signer.Sign(request.Span)) };
        try
        {
            var response = await Gateway.Client.CommitStatusAsync(signed, deadline: Deadline(Gateway.Timeouts.CommitStatus), cancellationToken: cancellationToken).ConfigureAwait(false);
            return new CommitStatus(txId, response.Result, response.BlockNumber);
        }
        catch (RpcException ex)
        {
            ThrowIfCancelled(ex, cancellationToken);
            throw new CommitStatusException(txId, ex);
        }
    }

    private TransactionProposal NewProposal(string function, IReadOnlyList<string> args) =>
        TransactionProposal.Create(Gateway.Identity, Gateway.Signer, Network.Name, ChaincodeName, function, args, DateTimeOffset.UtcNow);

    private static DateTime Deadline(TimeSpan timeout) => DateTime.UtcNow + timeout;

    private static void ThrowIfCancelled(RpcException ex, CancellationToken cancellationToken)
    {
        if (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("gateway call cancelled", ex, cancellationToken);
        }
    }
}
