using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Pipeline.Ledger.Fabric.Protos.Gateway;
using RpcStatus = Pipeline.Ledger.Fabric.Protos.Rpc.Status;

namespace Pipeline.Ledger.Fabric;

/// <summary>
/// The Gateway error shape: a gRPC status whose <c>grpc-status-details-bin</c> trailer holds a
/// <c>google.rpc.Status</c> (code, message, details) with one <c>gateway.ErrorDetail</c> per failed
/// peer or orderer packed as <c>google.protobuf.Any</c>, as Fabric's gateway sends it.
/// </summary>
internal static class GatewayStatus
{
    /// <summary>Trailer key gRPC uses for rich error details.</summary>
    public const string DetailsTrailer = "grpc-status-details-bin";

    /// <summary>An exception a service method throws to send <paramref name="details"/> with the status.</summary>
    public static RpcException Error(StatusCode code, string message, params ErrorDetail[] details)
    {
        var status = new RpcStatus { Code = (int)code, Message = message };
        status.Details.AddRange(details.Select(Any.Pack));
        var trailers = new Metadata { { DetailsTrailer, status.ToByteArray() } };
        return new RpcException(new Status(code, message), trailers, message);
    }

    /// <summary>The ErrorDetail entries of a Gateway error (empty when the trailer is absent or unreadable).</summary>
    public static IReadOnlyList<ErrorDetail> Details(RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var entry = exception.Trailers.Get(DetailsTrailer);
        if (entry is null || !entry.IsBinary)
        {
            return [];
        }

        try
        {
            var status = RpcStatus.Parser.ParseFrom(entry.ValueBytes);
            return status.Details.Where(a => a.Is(ErrorDetail.Descriptor)).Select(a => a.Unpack<ErrorDetail>()).ToList();
        }
        catch (InvalidProtocolBufferException)
        {
            return [];
        }
    }
}
