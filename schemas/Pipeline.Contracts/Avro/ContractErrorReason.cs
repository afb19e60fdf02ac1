namespace Pipeline.Contracts.Avro;

/// <summary>Why bytes could not be decoded as a contract message.</summary>
public enum ContractErrorReason
{
    /// <summary>Fewer bytes than the single-object header (2 magic + 8 fingerprint).</summary>
    Truncated,

    /// <summary>The first two bytes are not the single-object marker C3 01.</summary>
    BadMagic,

    /// <summary>The writer-schema fingerprint is not in the registry.</summary>
    UnknownFingerprint,

    /// <summary>The fingerprint is known but belongs to another type than the one asked for.</summary>
    UnexpectedSchema,

    /// <summary>The body does not match the writer schema.</summary>
    MalformedBody,
}
