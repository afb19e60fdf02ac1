using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Pipeline.Ledger.Fabric.Protos.Common;
using Pipeline.Ledger.Fabric.Protos.Gateway;
using Pipeline.Ledger.Fabric.Protos.Orderer;
using Pipeline.Ledger.Fabric.Protos.Peer;
using RpcStatus = Pipeline.Ledger.Fabric.Protos.Rpc.Status;

namespace Pipeline.Ledger.Tests;

/// <summary>
/// Our hand-written gateway.proto against Fabric's own generated classes (@hyperledger/fabric-protos,
/// run with node): bytes Fabric encodes parse with ours field by field, bytes we encode parse with
/// Fabric's field by field, and the same sample encodes to the same bytes on both sides.
/// The sample mirrors the one in interop/gateway-interop.js.
/// </summary>
public sealed class GatewayProtoInteropTests
{
    private const string Tx = "f3a1c0de";
    private const string Channel = "whitelist";

    [Fact]
    public void FabricEncodedMessages_ParseWithOurClasses_FieldByField()
    {
        var fabric = JsonSerializer.Deserialize<Dictionary<string, string>>(FabricJavaScript.Run("encode"))!;
        T Parse<T>(string name, MessageParser<T> parser)
            where T : IMessage<T> => parser.ParseFrom(Convert.FromBase64String(fabric[name]));

        var endorse = Parse("EndorseRequest", EndorseRequest.Parser);
        Assert.Equal(Tx, endorse.TransactionId);
        Assert.Equal(Channel, endorse.ChannelId);
        AssertSignedProposal(endorse.ProposedTransaction);
        Assert.Equal(["Org1MSP", "Org2MSP"], endorse.EndorsingOrganizations);

        AssertEnvelope(Parse("EndorseResponse", EndorseResponse.Parser).PreparedTransaction);

        var submit = Parse("SubmitRequest", SubmitRequest.Parser);
        Assert.Equal((Tx, Channel), (submit.TransactionId, submit.ChannelId));
        AssertEnvelope(submit.PreparedTransaction);

        Assert.Equal(new SubmitResponse(), Parse("SubmitResponse", SubmitResponse.Parser));

        var signedStatus = Parse("SignedCommitStatusRequest", SignedCommitStatusRequest.Parser);
        Assert.Equal([12, 13, 14], signedStatus.Request.ToByteArray());
        Assert.Equal([15], signedStatus.Signature.ToByteArray());

        var status = Parse("CommitStatusRequest", CommitStatusRequest.Parser);
        Assert.Equal((Tx, Channel), (status.TransactionId, status.ChannelId));
        Assert.Equal([10, 11], status.Identity.ToByteArray());

        var statusResponse = Parse("CommitStatusResponse", CommitStatusResponse.Parser);
        Assert.Equal(Pipeline.Ledger.Fabric.Protos.Peer.TxValidationCode.MvccReadConflict, statusResponse.Result);
        Assert.Equal(42UL, statusResponse.BlockNumber);

        var evaluate = Parse("EvaluateRequest", EvaluateRequest.Parser);
        Assert.Equal((Tx, Channel), (evaluate.TransactionId, evaluate.ChannelId));
        AssertSignedProposal(evaluate.ProposedTransaction);
        Assert.Equal(["Org2MSP"], evaluate.TargetOrganizations);

        var result = Parse("EvaluateResponse", EvaluateResponse.Parser).Result;
        Assert.Equal((200, "ok"), (result.Status, result.Message));
        Assert.Equal("hi", result.Payload.ToStringUtf8());

        var signedEvents = Parse("SignedChaincodeEventsRequest", SignedChaincodeEventsRequest.Parser);
        Assert.Equal([16, 17], signedEvents.Request.ToByteArray());
        Assert.Equal([18, 19, 20], signedEvents.Signature.ToByteArray());

        var events = Parse("ChaincodeEventsRequest", ChaincodeEventsRequest.Parser);
        Assert.Equal((Channel, "whitelist", "tx-6"), (events.ChannelId, events.ChaincodeId, events.AfterTransactionId));
        Assert.Equal([10, 11], events.Identity.ToByteArray());
        Assert.Equal(7UL, events.StartPosition.Specified.Number);

        var eventsResponse = Parse("ChaincodeEventsResponse", ChaincodeEventsResponse.Parser);
        Assert.Equal(9UL, eventsResponse.BlockNumber);
        Assert.Equal([Event(1), Event(2)], eventsResponse.Events);

        Assert.Equal(Detail(), Parse("ErrorDetail", ErrorDetail.Parser));

        var proposed = Parse("ProposedTransaction", ProposedTransaction.Parser);
        Assert.Equal(Tx, proposed.TransactionId);
        AssertSignedProposal(proposed.Proposal);
        Assert.Equal(["Org1MSP"], proposed.EndorsingOrganizations);

        var prepared = Parse("PreparedTransaction", PreparedTransaction.Parser);
        Assert.Equal(Tx, prepared.TransactionId);
        AssertEnvelope(prepared.Envelope);

        var rpc = Parse("Status", RpcStatus.Parser);
        Assert.Equal((10, "failed to endorse transaction"), (rpc.Code, rpc.Message));
        Assert.Equal("type.googleapis.com/gateway.ErrorDetail", Assert.Single(rpc.Details).TypeUrl);
        Assert.Equal(Detail(), rpc.Details[0].Unpack<ErrorDetail>());
    }

    [Fact]
    public void OurEncodedMessages_ParseWithFabricClasses_FieldByField()
    {
        var ours = Sample().ToDictionary(p => p.Key, p => Convert.ToBase64String(p.Value.ToByteArray()));
        var file = Path.Combine(Path.GetTempPath(), $"gateway-interop-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, JsonSerializer.Serialize(ours));
        JsonNode fabric;
        try
        {
            fabric = JsonNode.Parse(FabricJavaScript.Run("decode", file))!;
        }
        finally
        {
            File.Delete(file);
        }

        var proposal = new JsonObject { ["proposalBytes"] = B64(1, 2, 3), ["signature"] = B64(4, 5) };
        var envelope = new JsonObject { ["payload"] = B64(6, 7, 8), ["signature"] = B64(9) };
        AssertJson(fabric["EndorseRequest"], new JsonObject
        {
            ["transactionId"] = Tx,
            ["channelId"] = Channel,
            ["proposedTransaction"] = proposal.DeepClone(),
            ["endorsingOrganizationsList"] = new JsonArray("Org1MSP", "Org2MSP"),
        });
        AssertJson(fabric["EndorseResponse"], new JsonObject { ["preparedTransaction"] = envelope.DeepClone() });
        AssertJson(fabric["SubmitRequest"], new JsonObject { ["transactionId"] = Tx, ["channelId"] = Channel, ["preparedTransaction"] = envelope.DeepClone() });
        AssertJson(fabric["SubmitResponse"], new JsonObject());
        AssertJson(fabric["SignedCommitStatusRequest"], new JsonObject { ["request"] = B64(12, 13, 14), ["signature"] = B64(15) });
        AssertJson(fabric["CommitStatusRequest"], new JsonObject { ["transactionId"] = Tx, ["channelId"] = Channel, ["identity"] = B64(10, 11) });
        AssertJson(fabric["CommitStatusResponse"], new JsonObject { ["result"] = 11, ["blockNumber"] = 42 });
        AssertJson(fabric["EvaluateRequest"], new JsonObject
        {
            ["transactionId"] = Tx,
            ["channelId"] = Channel,
            ["proposedTransaction"] = proposal.DeepClone(),
            ["targetOrganizationsList"] = new JsonArray("Org2MSP"),
        });
        AssertJson(fabric["EvaluateResponse"], new JsonObject { ["result"] = new JsonObject { ["status"] = 200, ["message"] = "ok", ["payload"] = B64(104, 105) } });
        AssertJson(fabric["SignedChaincodeEventsRequest"], new JsonObject { ["request"] = B64(16, 17), ["signature"] = B64(18, 19, 20) });
        var events = fabric["ChaincodeEventsRequest"]!;
        Assert.Equal(Channel, (string?)events["channelId"]);
        Assert.Equal("whitelist", (string?)events["chaincodeId"]);
        Assert.Equal(B64(10, 11), (string?)events["identity"]);
        Assert.Equal(7, (int?)events["startPosition"]!["specified"]!["number"]);
        Assert.Equal("tx-6", (string?)events["afterTransactionId"]);
        var eventsResponse = fabric["ChaincodeEventsResponse"]!;
        Assert.Equal(9, (int?)eventsResponse["blockNumber"]);
        var list = eventsResponse["eventsList"]!.AsArray();
        Assert.Equal(2, list.Count);
        for (var n = 1; n <= 2; n++)
        {
            AssertJson(list[n - 1], new JsonObject { ["chaincodeId"] = "whitelist", ["txId"] = "tx-" + n, ["eventName"] = "AssetCreated", ["payload"] = B64((byte)n, (byte)(n + 1)) });
        }

        var detail = new JsonObject { ["address"] = "127.0.0.1:7051", ["mspId"] = "Org1MSP", ["message"] = "chaincode response 500, asset exists" };
        AssertJson(fabric["ErrorDetail"], detail);
        AssertJson(fabric["ProposedTransaction"], new JsonObject
        {
            ["transactionId"] = Tx,
            ["proposal"] = proposal.DeepClone(),
            ["endorsingOrganizationsList"] = new JsonArray("Org1MSP"),
        });
        AssertJson(fabric["PreparedTransaction"], new JsonObject { ["transactionId"] = Tx, ["envelope"] = envelope.DeepClone() });
        var status = fabric["Status"]!;
        Assert.Equal(10, (int?)status["code"]);
        Assert.Equal("failed to endorse transaction", (string?)status["message"]);
        var packed = Assert.Single(status["detailsList"]!.AsArray())!;
        Assert.Equal("type.googleapis.com/gateway.ErrorDetail", (string?)packed["typeUrl"]);
        AssertJson(packed["errorDetail"], detail);
    }

    [Fact]
    public void SameSample_EncodesToIdenticalBytes_OnBothSides()
    {
        var fabric = JsonSerializer.Deserialize<Dictionary<string, string>>(FabricJavaScript.Run("encode"))!;
        var ours = Sample();

        Assert.Equal(fabric.Keys.Order(StringComparer.Ordinal), ours.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, message) in ours)
        {
            Assert.True(fabric[name] == Convert.ToBase64String(message.ToByteArray()), $"{name}: Fabric {fabric[name]} vs ours {Convert.ToBase64String(message.ToByteArray())}");
        }
    }

    private static Dictionary<string, IMessage> Sample()
    {
        var endorse = new EndorseRequest { TransactionId = Tx, ChannelId = Channel, ProposedTransaction = SignedProposal() };
        endorse.EndorsingOrganizations.Add(["Org1MSP", "Org2MSP"]);
        var evaluate = new EvaluateRequest { TransactionId = Tx, ChannelId = Channel, ProposedTransaction = SignedProposal() };
        evaluate.TargetOrganizations.Add("Org2MSP");
        var eventsResponse = new ChaincodeEventsResponse { BlockNumber = 9 };
        eventsResponse.Events.Add([Event(1), Event(2)]);
        var proposed = new ProposedTransaction { TransactionId = Tx, Proposal = SignedProposal() };
        proposed.EndorsingOrganizations.Add("Org1MSP");
        var status = new RpcStatus { Code = 10, Message = "failed to endorse transaction" };
        status.Details.Add(Any.Pack(Detail()));
        return new Dictionary<string, IMessage>(StringComparer.Ordinal)
        {
            ["EndorseRequest"] = endorse,
            ["EndorseResponse"] = new EndorseResponse { PreparedTransaction = Envelope() },
            ["SubmitRequest"] = new SubmitRequest { TransactionId = Tx, ChannelId = Channel, PreparedTransaction = Envelope() },
            ["SubmitResponse"] = new SubmitResponse(),
            ["SignedCommitStatusRequest"] = new SignedCommitStatusRequest { Request = Bytes(12, 13, 14), Signature = Bytes(15) },
            ["CommitStatusRequest"] = new CommitStatusRequest { TransactionId = Tx, ChannelId = Channel, Identity = Bytes(10, 11) },
            ["CommitStatusResponse"] = new CommitStatusResponse { Result = Pipeline.Ledger.Fabric.Protos.Peer.TxValidationCode.MvccReadConflict, BlockNumber = 42 },
            ["EvaluateRequest"] = evaluate,
            ["EvaluateResponse"] = new EvaluateResponse { Result = new Response { Status = 200, Message = "ok", Payload = ByteString.CopyFromUtf8("hi") } },
            ["SignedChaincodeEventsRequest"] = new SignedChaincodeEventsRequest { Request = Bytes(16, 17), Signature = Bytes(18, 19, 20) },
            ["ChaincodeEventsRequest"] = new ChaincodeEventsRequest
            {
                ChannelId = Channel,
                ChaincodeId = "whitelist",
                Identity = Bytes(10, 11),
                StartPosition = new SeekPosition { Specified = new SeekSpecified { Number = 7 } },
                AfterTransactionId = "tx-6",
            },
            ["ChaincodeEventsResponse"] = eventsResponse,
            ["ErrorDetail"] = Detail(),
            ["ProposedTransaction"] = proposed,
            ["PreparedTransaction"] = new PreparedTransaction { TransactionId = Tx, Envelope = Envelope() },
            ["Status"] = status,
        };
    }

    private static SignedProposal SignedProposal() => new() { ProposalBytes = Bytes(1, 2, 3), Signature = Bytes(4, 5) };

    private static Envelope Envelope() => new() { Payload = Bytes(6, 7, 8), Signature = Bytes(9) };

    private static ChaincodeEvent Event(byte n) =>
        new() { ChaincodeId = "whitelist", TxId = "tx-" + n, EventName = "AssetCreated", Payload = Bytes(n, (byte)(n + 1)) };

    private static ErrorDetail Detail() => new() { Address = "127.0.0.1:7051", MspId = "Org1MSP", Message = "chaincode response 500, asset exists" };

    private static ByteString Bytes(params byte[] values) => ByteString.CopyFrom(values);

    private static string B64(params byte[] values) => Convert.ToBase64String(values);

    private static void AssertSignedProposal(SignedProposal proposal) => Assert.Equal(SignedProposal(), proposal);

    private static void AssertEnvelope(Envelope envelope) => Assert.Equal(Envelope(), envelope);

    private static void AssertJson(JsonNode? actual, JsonObject expected)
    {
        Assert.NotNull(actual);
        var fields = actual.AsObject();
        foreach (var (key, value) in expected)
        {
            Assert.True(fields.ContainsKey(key), $"Fabric's decoding has no field '{key}': {actual.ToJsonString()}");
            Assert.True(JsonNode.DeepEquals(value, fields[key]), $"field '{key}': expected {value?.ToJsonString()}, Fabric read {fields[key]?.ToJsonString()}");
        }
    }
}
