using Google.Protobuf;
using Pipeline.Ledger.Fabric.Msp;

namespace Pipeline.Ledger.Fabric.Server;

/// <summary>A signed proposal the gateway authenticated and unpacked.</summary>
internal sealed record ParsedProposal(
    string TxId,
    string ChannelId,
    string ChaincodeName,
    string Function,
    IReadOnlyList<string> Args,
    DateTimeOffset Timestamp,
    MspMember Creator,
    ByteString Header,
    ByteString ChannelHeader,
    ByteString SignatureHeader,
    ByteString PayloadWithoutTransient);
