using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Pipeline.Chaincode;
using Pipeline.Ledger.Fabric.Msp;
using Pipeline.Ledger.Fabric.Protos.Common;
using Pipeline.Ledger.Fabric.Protos.Gateway;
using Pipeline.Ledger.Fabric.Protos.KvRwSet;
using Pipeline.Ledger.Fabric.Protos.Peer;
using Pipeline.Ledger.Fabric.Protos.RwSet;
using FabricCode = Pipeline.Ledger.Fabric.Protos.Peer.TxValidationCode;
using FabricEvent = Pipeline.Ledger.Fabric.Protos.Peer.ChaincodeEvent;

namespace Pipeline.Ledger.Fabric.Server;

/// <summary>
/// The Fabric Gateway service of one embedded peer: authenticates every proposal, envelope and
/// signed request against the MSPs it trusts, evaluates and endorses on its peer through the
/// ledger's own endorsement path, orders through the embedded orderer, and answers commit status
/// and chaincode events from the network's commits.
/// </summary>
/// <remarks>
/// Errors have the Gateway's shape (<see cref="GatewayStatus"/>): InvalidArgument for malformed
/// messages, PermissionDenied for an unknown MSP or a bad signature, NotFound for another channel,
/// Aborted when the contract refuses, Unavailable when the orderer is gone; each carries one
/// ErrorDetail naming this peer. Thread-safe.
/// </remarks>
internal sealed class GatewayService : Protos.Gateway.Gateway.GatewayBase
{
    private const int Ok = 200;
    private const int ChaincodeError = 500;

    private readonly LedgerNetwork _network;
    private readonly LedgerPeer _peer;
    private readonly MembershipRegistry _membership;
    private readonly ByteString _endorser;
    private readonly string _endorserMsp;
    private readonly Func<ReadOnlyMemory<byte>, byte[]> _sign;
    private readonly CommitTracker _tracker;
    private readonly ILogger _logger;

    public GatewayService(
        LedgerNetwork network,
        LedgerPeer peer,
        MembershipRegistry membership,
        ByteString endorser,
        string endorserMsp,
        Func<ReadOnlyMemory<byte>, byte[]> sign,
        CommitTracker tracker,
        ILogger logger)
    {
        _network = network;
        _peer = peer;
        _membership = membership;
        _endorser = endorser;
        _endorserMsp = endorserMsp;
        _sign = sign;
        _tracker = tracker;
        _logger = logger;
    }

    /// <summary>host:port this service listens on (set once the server started).</summary>
    public string Address { get; set; } = string.Empty;

    public override async Task<EvaluateResponse> Evaluate(EvaluateRequest request, ServerCallContext context)
    {
        var proposal = Authenticate(request.ProposedTransaction, request.TransactionId, request.ChannelId);
        try
        {
            var payload = await _peer.EvaluateProposalAsync(proposal.Function, proposal.Args, proposal.Creator.Identity, proposal.TxId, proposal.Timestamp, context.CancellationToken)
                .ConfigureAwait(false);
            return new EvaluateResponse { Result = new Response { Status = Ok, Payload = ByteString.CopyFrom(payload) } };
        }
        catch (ContractException ex)
        {
            throw Refused(StatusCode.Aborted, "evaluate call to endorser returned error", proposal.TxId, ex);
        }
    }

    public override async Task<EndorseResponse> Endorse(EndorseRequest request, ServerCallContext context)
    {
        var proposal = Authenticate(request.ProposedTransaction, request.TransactionId, request.ChannelId);
        EndorsedTransaction endorsed;
        try
        {
            endorsed = await _peer.EndorseAsync(proposal.Function, proposal.Args, proposal.Creator.Identity, proposal.TxId, proposal.Timestamp, context.CancellationToken)
                .ConfigureAwait(false);
        }
        catch (EndorsementException ex) when (ex.InnerException is ContractException contract)
        {
            throw Refused(StatusCode.Aborted, "failed to endorse transaction, see attached details for more info", proposal.TxId, contract);
        }

        return new EndorseResponse { PreparedTransaction = BuildEnvelope(proposal, endorsed) };
    }

    public override Task<SubmitResponse> Submit(SubmitRequest request, ServerCallContext context)
    {
        var envelope = request.PreparedTransaction ?? throw Error(StatusCode.InvalidArgument, "a prepared transaction must be supplied");
        var transaction = Unpack(envelope, request.TransactionId, request.ChannelId);
        var commit = _network.SubmitAsync(transaction, CancellationToken.None);
        if (commit.IsFaulted)
        {
            throw Error(StatusCode.Unavailable, $"rpc error: the orderer refused transaction {request.TransactionId}: {commit.Exception?.GetBaseException().Message}");
        }

        _tracker.Track(transaction.Transaction.TxId, commit);
        GatewayLog.Submitted(_logger, _peer.Id, transaction.Transaction.TxId);
        return Task.FromResult(new SubmitResponse());
    }

    public override async Task<CommitStatusResponse> CommitStatus(SignedCommitStatusRequest request, ServerCallContext context)
    {
        CommitStatusRequest inner;
        try
        {
            inner = CommitStatusRequest.Parser.ParseFrom(request.Request);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw Error(StatusCode.InvalidArgument, $"failed to unmarshal commit status request: {ex.Message}");
        }

        Verify(inner.Identity, request.Request, request.Signature, "commit status request");
        RequireChannel(inner.ChannelId);
        try
        {
            var (code, block) = await _tracker.WaitForCommitAsync(inner.TransactionId, _peer, context.CancellationToken).ConfigureAwait(false);
            return new CommitStatusResponse { Result = ToFabric(code), BlockNumber = (ulong)block };
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            throw Error(StatusCode.DeadlineExceeded, $"timed out waiting for the commit status of transaction {inner.TransactionId}");
        }
        catch (Exception ex) when (ex is not RpcException and not OperationCanceledException)
        {
            throw Error(StatusCode.Unavailable, $"transaction {inner.TransactionId} was not committed: {ex.GetBaseException().Message}");
        }
    }

    public override async Task ChaincodeEvents(SignedChaincodeEventsRequest request, IServerStreamWriter<ChaincodeEventsResponse> responseStream, ServerCallContext context)
    {
        ChaincodeEventsRequest inner;
        try
        {
            inner = ChaincodeEventsRequest.Parser.ParseFrom(request.Request);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw Error(StatusCode.InvalidArgument, $"failed to unmarshal chaincode events request: {ex.Message}");
        }

        Verify(inner.Identity, request.Request, request.Signature, "chaincode events request");
        RequireChannel(inner.ChannelId);
        var cancellationToken = context.CancellationToken;

        // Subscribe before reading history, so no block falls between the two.
        using var subscription = _tracker.Subscribe();
        var next = inner.StartPosition?.TypeCase switch
        {
            Protos.Orderer.SeekPosition.TypeOneofCase.Oldest => 0L,
            Protos.Orderer.SeekPosition.TypeOneofCase.Newest => Math.Max(0, _peer.Height - 1),
            Protos.Orderer.SeekPosition.TypeOneofCase.Specified => checked((long)inner.StartPosition.Specified.Number),
            _ => _peer.Height,
        };
        var skipThrough = inner.AfterTransactionId;
        var firstBlock = next;
        var sendsFor = inner.ChaincodeId == _network.ContractName;

        try
        {
            for (var height = _peer.Height; next < height; next++)
            {
                var block = _peer.ReadBlock(next);
                await SendEventsAsync(block, i => IsValidAt(block, i), next == firstBlock ? skipThrough : string.Empty, sendsFor, responseStream, cancellationToken).ConfigureAwait(false);
            }

            await foreach (var committed in subscription.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                var number = committed.Block.Number;
                if (number < next)
                {
                    continue;
                }

                // A block of the live feed always follows the ones read above; read any gap from the peer.
                for (; next < number; next++)
                {
                    var missing = _peer.ReadBlock(next);
                    await SendEventsAsync(missing, i => IsValidAt(missing, i), next == firstBlock ? skipThrough : string.Empty, sendsFor, responseStream, cancellationToken).ConfigureAwait(false);
                }

                await SendEventsAsync(committed.Block, i => committed.Codes[i] == TxValidationCode.Valid, next == firstBlock ? skipThrough : string.Empty, sendsFor, responseStream, cancellationToken)
                    .ConfigureAwait(false);
                next = number + 1;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client closed the stream.
        }
    }

    private async Task SendEventsAsync(
        Block block, Func<int, bool> isValid, string skipThrough, bool sendsFor, IServerStreamWriter<ChaincodeEventsResponse> stream, CancellationToken cancellationToken)
    {
        if (!sendsFor)
        {
            return;
        }

        var response = new ChaincodeEventsResponse { BlockNumber = (ulong)block.Number };
        var skipping = skipThrough.Length > 0;
        for (var i = 0; i < block.Transactions.Count; i++)
        {
            var tx = block.Transactions[i];
            if (skipping)
            {
                skipping = tx.TxId != skipThrough;
                continue;
            }

            if (tx.Event is { } e && isValid(i))
            {
                response.Events.Add(new FabricEvent { ChaincodeId = _network.ContractName, TxId = tx.TxId, EventName = e.Name, Payload = ByteString.CopyFrom(e.Payload) });
            }
        }

        if (response.Events.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await stream.WriteAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    private bool IsValidAt(Block block, int index) =>
        _peer.GetTransactionCommit(block.Transactions[index].TxId) is { } c && c.Code == TxValidationCode.Valid && c.BlockNumber == block.Number && c.TxNumber == index;

    private ParsedProposal Authenticate(SignedProposal? signed, string requestTxId, string requestChannel)
    {
        if (signed is null)
        {
            throw Error(StatusCode.InvalidArgument, "a signed proposal must be supplied");
        }

        Proposal proposal;
        Header header;
        ChannelHeader channelHeader;
        SignatureHeader signatureHeader;
        ChaincodeProposalPayload payload;
        ChaincodeInvocationSpec invocation;
        try
        {
            proposal = Proposal.Parser.ParseFrom(signed.ProposalBytes);
            header = Header.Parser.ParseFrom(proposal.Header);
            channelHeader = ChannelHeader.Parser.ParseFrom(header.ChannelHeader);
            signatureHeader = SignatureHeader.Parser.ParseFrom(header.SignatureHeader);
            payload = ChaincodeProposalPayload.Parser.ParseFrom(proposal.Payload);
            invocation = ChaincodeInvocationSpec.Parser.ParseFrom(payload.Input);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw Error(StatusCode.InvalidArgument, $"failed to unpack transaction proposal: {ex.Message}");
        }

        var creator = Verify(signatureHeader.Creator, signed.ProposalBytes, signed.Signature, "proposal");
        if (channelHeader.Type != (int)HeaderType.EndorserTransaction)
        {
            throw Error(StatusCode.InvalidArgument, $"proposal header type is {channelHeader.Type}, expected ENDORSER_TRANSACTION ({(int)HeaderType.EndorserTransaction})");
        }

        RequireChannel(channelHeader.ChannelId);
        if (requestChannel.Length > 0 && requestChannel != channelHeader.ChannelId)
        {
            throw Error(StatusCode.InvalidArgument, $"request channel '{requestChannel}' differs from the proposal's '{channelHeader.ChannelId}'");
        }

        var expectedTxId = TransactionEnvelopes.TransactionId(signatureHeader.Nonce.Span, signatureHeader.Creator.Span);
        if (channelHeader.TxId != expectedTxId || (requestTxId.Length > 0 && requestTxId != expectedTxId))
        {
            throw Error(StatusCode.InvalidArgument, $"transaction id '{channelHeader.TxId}' is not SHA-256(nonce || creator) = {expectedTxId}");
        }

        var spec = invocation.ChaincodeSpec;
        var name = spec?.ChaincodeId?.Name ?? string.Empty;
        if (name != _network.ContractName)
        {
            throw Error(StatusCode.NotFound, $"chaincode '{name}' is not installed on channel '{channelHeader.ChannelId}' (it runs '{_network.ContractName}')");
        }

        var args = spec!.Input?.Args ?? [];
        if (args.Count == 0)
        {
            throw Error(StatusCode.InvalidArgument, "proposal has no function name (chaincode input args are empty)");
        }

        var withoutTransient = payload.TransientMap.Count == 0 ? proposal.Payload : new ChaincodeProposalPayload { Input = payload.Input }.ToByteString();
        return new ParsedProposal(
            expectedTxId,
            channelHeader.ChannelId,
            name,
            args[0].ToStringUtf8(),
            args.Skip(1).Select(a => a.ToStringUtf8()).ToList(),
            channelHeader.Timestamp?.ToDateTimeOffset() ?? DateTimeOffset.UtcNow,
            creator,
            proposal.Header,
            header.ChannelHeader,
            header.SignatureHeader,
            withoutTransient);
    }

    private Envelope BuildEnvelope(ParsedProposal proposal, EndorsedTransaction endorsed)
    {
        var tx = endorsed.Transaction;
        var kv = new KVRWSet();
        foreach (var read in tx.Reads)
        {
            var entry = new KVRead { Key = read.Key };
            if (read.Version is { } v)
            {
                entry.Version = new Protos.KvRwSet.Version { BlockNum = (ulong)v.BlockNumber, TxNum = (ulong)v.TxNumber };
            }

            kv.Reads.Add(entry);
        }

        foreach (var write in tx.Writes)
        {
            kv.Writes.Add(new KVWrite { Key = write.Key, IsDelete = write.IsDelete, Value = ByteString.CopyFrom(write.Value) });
        }

        var rwset = new TxReadWriteSet { DataModel = TxReadWriteSet.Types.DataModel.Kv };
        rwset.NsRwset.Add(new NsReadWriteSet { Namespace = proposal.ChaincodeName, Rwset = kv.ToByteString() });
        var chaincodeId = new ChaincodeID { Name = proposal.ChaincodeName };
        var action = new ChaincodeAction
        {
            Results = rwset.ToByteString(),
            Response = new Response { Status = Ok, Payload = ByteString.CopyFrom(endorsed.Payload) },
            ChaincodeId = chaincodeId,
        };
        if (tx.Event is { } e)
        {
            action.Events = new FabricEvent { ChaincodeId = proposal.ChaincodeName, TxId = proposal.TxId, EventName = e.Name, Payload = ByteString.CopyFrom(e.Payload) }.ToByteString();
        }

        var responsePayload = new ProposalResponsePayload
        {
            ProposalHash = ByteString.CopyFrom(TransactionEnvelopes.ProposalHash(proposal.ChannelHeader, proposal.SignatureHeader, proposal.PayloadWithoutTransient)),
            Extension = action.ToByteString(),
        }.ToByteString();
        var endorsement = new Endorsement { Endorser = _endorser, Signature = ByteString.CopyFrom(_sign(Concat(responsePayload, _endorser))) };
        var endorsedAction = new ChaincodeEndorsedAction { ProposalResponsePayload = responsePayload };
        endorsedAction.Endorsements.Add(endorsement);
        var actionPayload = new ChaincodeActionPayload { ChaincodeProposalPayload = proposal.PayloadWithoutTransient, Action = endorsedAction };
        var transaction = new Transaction();
        transaction.Actions.Add(new TransactionAction { Header = proposal.SignatureHeader, Payload = actionPayload.ToByteString() });
        var payload = new Payload { Header = Header.Parser.ParseFrom(proposal.Header), Data = transaction.ToByteString() };
        return new Envelope { Payload = payload.ToByteString() };
    }

    private EndorsedTransaction Unpack(Envelope envelope, string requestTxId, string requestChannel)
    {
        Payload payload;
        ChannelHeader channelHeader;
        SignatureHeader signatureHeader;
        ChaincodeActionPayload actionPayload;
        ProposalResponsePayload responsePayload;
        ChaincodeAction action;
        ChaincodeInvocationSpec invocation;
        try
        {
            payload = Payload.Parser.ParseFrom(envelope.Payload);
            if (payload.Header is null)
            {
                throw new FormatException("payload has no header");
            }

            channelHeader = ChannelHeader.Parser.ParseFrom(payload.Header.ChannelHeader);
            signatureHeader = SignatureHeader.Parser.ParseFrom(payload.Header.SignatureHeader);
            actionPayload = TransactionEnvelopes.ActionPayload(envelope);
            responsePayload = ProposalResponsePayload.Parser.ParseFrom(actionPayload.Action.ProposalResponsePayload);
            action = ChaincodeAction.Parser.ParseFrom(responsePayload.Extension);
            invocation = ChaincodeInvocationSpec.Parser.ParseFrom(ChaincodeProposalPayload.Parser.ParseFrom(actionPayload.ChaincodeProposalPayload).Input);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or FormatException)
        {
            throw Error(StatusCode.InvalidArgument, $"failed to unpack prepared transaction: {ex.Message}");
        }

        var creator = Verify(signatureHeader.Creator, envelope.Payload, envelope.Signature, "transaction envelope");
        RequireChannel(channelHeader.ChannelId);
        var txId = TransactionEnvelopes.TransactionId(signatureHeader.Nonce.Span, signatureHeader.Creator.Span);
        if (channelHeader.TxId != txId || requestTxId != txId || (requestChannel.Length > 0 && requestChannel != channelHeader.ChannelId))
        {
            throw Error(StatusCode.InvalidArgument, $"submit request (transaction '{requestTxId}', channel '{requestChannel}') does not match its envelope (transaction '{channelHeader.TxId}', expected {txId})");
        }

        var expectedHash = TransactionEnvelopes.ProposalHash(payload.Header.ChannelHeader, payload.Header.SignatureHeader, actionPayload.ChaincodeProposalPayload);
        if (!responsePayload.ProposalHash.Span.SequenceEqual(expectedHash))
        {
            throw Error(StatusCode.InvalidArgument, $"transaction {txId}: the endorsed proposal hash does not match the envelope's proposal");
        }

        var endorsements = actionPayload.Action.Endorsements;
        if (endorsements.Count == 0)
        {
            throw Error(StatusCode.FailedPrecondition, $"transaction {txId} carries no endorsement");
        }

        MspMember? endorser = null;
        foreach (var endorsement in endorsements)
        {
            endorser = Verify(endorsement.Endorser, ByteString.CopyFrom(Concat(actionPayload.Action.ProposalResponsePayload, endorsement.Endorser)), endorsement.Signature, "endorsement");
        }

        var name = invocation.ChaincodeSpec?.ChaincodeId?.Name ?? string.Empty;
        var args = invocation.ChaincodeSpec?.Input?.Args ?? [];
        if (name != _network.ContractName || args.Count == 0 || action.Response is null || action.Response.Status >= 400)
        {
            throw Error(StatusCode.InvalidArgument, $"transaction {txId} is not an endorsed invocation of chaincode '{_network.ContractName}'");
        }

        var reads = new List<ReadSetEntry>();
        var writes = new List<WriteSetEntry>();
        try
        {
            var rwset = TxReadWriteSet.Parser.ParseFrom(action.Results);
            foreach (var ns in rwset.NsRwset.Where(n => n.Namespace == name))
            {
                var kv = KVRWSet.Parser.ParseFrom(ns.Rwset);
                reads.AddRange(kv.Reads.Select(r => new ReadSetEntry(r.Key, r.Version is null ? null : new StateVersion((long)r.Version.BlockNum, (int)r.Version.TxNum))));
                writes.AddRange(kv.Writes.Select(w => new WriteSetEntry(w.Key, w.IsDelete, w.Value.ToByteArray())));
            }
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw Error(StatusCode.InvalidArgument, $"transaction {txId} has a malformed read/write set: {ex.Message}");
        }

        global::Pipeline.Chaincode.ChaincodeEvent? chaincodeEvent = null;
        if (!action.Events.IsEmpty)
        {
            var e = FabricEvent.Parser.ParseFrom(action.Events);
            chaincodeEvent = new global::Pipeline.Chaincode.ChaincodeEvent(e.EventName, e.Payload.ToByteArray());
        }

        var transaction = new LedgerTransaction
        {
            TxId = txId,
            ChannelId = channelHeader.ChannelId,
            Function = args[0].ToStringUtf8(),
            Args = args.Skip(1).Select(a => a.ToStringUtf8()).ToArray(),
            Creator = creator.Identity,
            Timestamp = channelHeader.Timestamp?.ToDateTimeOffset() ?? DateTimeOffset.UtcNow,
            EndorserId = endorser!.Identity.Id,
            Reads = reads.OrderBy(r => r.Key, StringComparer.Ordinal).ToList(),
            Writes = writes.OrderBy(w => w.Key, StringComparer.Ordinal).ToList(),
            Event = chaincodeEvent,
        };
        return new EndorsedTransaction(transaction, action.Response.Payload.ToByteArray());
    }

    private MspMember Verify(ByteString identity, ByteString message, ByteString signature, string what)
    {
        MspMember member;
        try
        {
            member = _membership.Authenticate(identity);
        }
        catch (MspException ex)
        {
            GatewayLog.Rejected(_logger, _peer.Id, what, ex.Message);
            throw Error(StatusCode.PermissionDenied, $"access denied: {what} creator: {ex.Message}");
        }

        if (!member.Verify(message.Span, signature.Span))
        {
            GatewayLog.Rejected(_logger, _peer.Id, what, "bad signature");
            throw Error(StatusCode.PermissionDenied, $"access denied: the signature of the {what} by {member.Identity.Id} ({member.MspId}) is not valid");
        }

        return member;
    }

    private void RequireChannel(string channelId)
    {
        if (channelId != _network.Options.ChannelName)
        {
            throw Error(StatusCode.NotFound, $"channel '{channelId}' not found (this peer serves '{_network.Options.ChannelName}')");
        }
    }

    private RpcException Refused(StatusCode code, string message, string txId, ContractException cause) =>
        GatewayStatus.Error(code, message, Detail($"chaincode response {ChaincodeError}, {cause.Message} (transaction {txId}, {cause.Code})"));

    private RpcException Error(StatusCode code, string message) => GatewayStatus.Error(code, message, Detail(message));

    private ErrorDetail Detail(string message) => new() { Address = Address, MspId = _endorserMsp, Message = message };

    private static byte[] Concat(ByteString first, ByteString second)
    {
        var bytes = new byte[first.Length + second.Length];
        first.Span.CopyTo(bytes);
        second.Span.CopyTo(bytes.AsSpan(first.Length));
        return bytes;
    }

    private static FabricCode ToFabric(TxValidationCode code) => code switch
    {
        TxValidationCode.Valid => FabricCode.Valid,
        TxValidationCode.MvccReadConflict => FabricCode.MvccReadConflict,
        TxValidationCode.DuplicateTxId => FabricCode.DuplicateTxid,
        TxValidationCode.WrongChannel => FabricCode.TargetChainNotFound,
        _ => FabricCode.InvalidOtherReason,
    };
}
