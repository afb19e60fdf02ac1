namespace Pipeline.Chaincode;

/// <summary>
/// A contract a ledger peer can run: functions addressed by name with string arguments, returning
/// a JSON payload, as Fabric chaincode is invoked.
/// </summary>
/// <remarks>Implementations must be deterministic and thread-safe (one instance serves all peers).</remarks>
public interface IContract
{
    /// <summary>Contract name.</summary>
    string Name { get; }

    /// <summary>Runs <paramref name="function"/> against <paramref name="stub"/>.</summary>
    /// <exception cref="ContractException">The call is refused; the code says why.</exception>
    byte[] Invoke(IChaincodeStub stub, string function, IReadOnlyList<string> args);
}
