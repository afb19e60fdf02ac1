namespace Pipeline.Contracts.Avro;

/// <summary>Bytes that are not a valid contract message; <see cref="Reason"/> says why.</summary>
/// <remarks>Consumers dead-letter the message with <see cref="Reason"/> and the message text as
/// headers, and go on: this is a poison-message error, never a fatal one.</remarks>
public sealed class AvroContractException(ContractErrorReason reason, string message) : Exception(message)
{
    public ContractErrorReason Reason { get; } = reason;

    /// <summary>The reason as the snake_case word written into dead-letter headers.</summary>
    public string ReasonCode => Reason switch
    {
        ContractErrorReason.Truncated => "truncated",
        ContractErrorReason.BadMagic => "bad_magic",
        ContractErrorReason.UnknownFingerprint => "unknown_fingerprint",
        ContractErrorReason.UnexpectedSchema => "unexpected_schema",
        _ => "malformed_body",
    };
}
