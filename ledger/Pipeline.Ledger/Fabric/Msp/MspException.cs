namespace Pipeline.Ledger.Fabric.Msp;

/// <summary>An identity was refused: unknown MSP, a certificate its CA did not issue, an expired
/// certificate, or bytes that are not a serialized X.509 identity. The message names the cause.</summary>
public sealed class MspException : Exception
{
    public MspException()
    {
    }

    public MspException(string message)
        : base(message)
    {
    }

    public MspException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public MspException(string mspId, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        MspId = mspId;
    }

    /// <summary>MSP id the identity claimed (empty when it could not be read).</summary>
    public string MspId { get; } = string.Empty;
}
