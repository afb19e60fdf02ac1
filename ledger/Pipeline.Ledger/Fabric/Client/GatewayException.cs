using Grpc.Core;

namespace Pipeline.Ledger.Fabric.Client;

/// <summary>
/// A Gateway call failed: the gRPC status, the transaction id, and the peers' or orderers' error
/// details. Subclasses name the stage (evaluate, endorse, submit, commit status).
/// </summary>
public class GatewayException : Exception
{
    public GatewayException()
    {
    }

    public GatewayException(string message)
        : base(message)
    {
    }

    public GatewayException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public GatewayException(string stage, string txId, RpcException cause)
        : base(Describe(stage, txId, cause), cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        TxId = txId;
        StatusCode = cause.StatusCode;
        Details = GatewayStatus.Details(cause).Select(d => new GatewayErrorDetail(d.Address, d.MspId, d.Message)).ToList();
    }

    /// <summary>Transaction id of the failed call.</summary>
    public string TxId { get; } = string.Empty;

    /// <summary>gRPC status code (DeadlineExceeded when the stage's timeout passed).</summary>
    public StatusCode StatusCode { get; } = StatusCode.Unknown;

    /// <summary>Per-node details the gateway attached.</summary>
    public IReadOnlyList<GatewayErrorDetail> Details { get; } = [];

    private static string Describe(string stage, string txId, RpcException cause)
    {
        var details = GatewayStatus.Details(cause);
        var text = $"{stage} of transaction {txId} failed: {cause.StatusCode}, {cause.Status.Detail}";
        return details.Count == 0 ? text : text + " [" + string.Join("; ", details.Select(d => $"{d.MspId}@{d.Address}: {d.Message}")) + "]";
    }
}
