namespace Pipeline.Ledger.Fabric.Client;

/// <summary>Deadline of each Gateway call (the defaults of Fabric's official clients).</summary>
public sealed record GatewayTimeouts
{
    /// <summary>Evaluate (query on one peer).</summary>
    public TimeSpan Evaluate { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Endorse (simulate and collect endorsements).</summary>
    public TimeSpan Endorse { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Submit (hand the signed transaction to the orderer).</summary>
    public TimeSpan Submit { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>CommitStatus (wait for the validation code).</summary>
    public TimeSpan CommitStatus { get; init; } = TimeSpan.FromMinutes(1);
}
