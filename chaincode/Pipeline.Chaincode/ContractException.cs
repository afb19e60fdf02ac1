namespace Pipeline.Chaincode;

/// <summary>A contract call was refused; <see cref="Code"/> says why, the message names the cause.</summary>
public sealed class ContractException : Exception
{
    public ContractException()
    {
    }

    public ContractException(string message)
        : base(message)
    {
    }

    public ContractException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ContractException(ContractErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    /// <summary>Error class.</summary>
    public ContractErrorCode Code { get; } = ContractErrorCode.InvalidArgument;
}
