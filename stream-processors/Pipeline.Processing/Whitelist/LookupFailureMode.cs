namespace Pipeline.Processing.Whitelist;

/// <summary>What happens to an execution whose ledger lookup failed or timed out.</summary>
public enum LookupFailureMode
{
    /// <summary>Deny it and raise a lookup_failure alert (default).</summary>
    FailClosed,

    /// <summary>Allow it, still raising a lookup_failure alert so the gap is visible.</summary>
    FailOpen,
}
