namespace Pipeline.Chaincode;

/// <summary>Why a contract call failed.</summary>
public enum ContractErrorCode
{
    /// <summary>An argument is missing or malformed.</summary>
    InvalidArgument = 1,

    /// <summary>A hash is not 64 lower-case hexadecimal characters.</summary>
    MalformedHash = 2,

    /// <summary>The asset or endpoint already exists.</summary>
    AlreadyExists = 3,

    /// <summary>The asset or endpoint does not exist.</summary>
    NotFound = 4,

    /// <summary>The caller is not allowed to do this (only admins write).</summary>
    Forbidden = 5,

    /// <summary>The contract has no such function.</summary>
    UnknownFunction = 6,

    /// <summary>Stored data could not be read.</summary>
    CorruptState = 7,
}
