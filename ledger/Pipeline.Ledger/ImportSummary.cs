namespace Pipeline.Ledger;

/// <summary>What an import did.</summary>
/// <param name="EndpointsEnrolled">Endpoints newly enrolled.</param>
/// <param name="AppsCreated">Apps newly whitelisted.</param>
/// <param name="AlreadyPresent">Items skipped because the ledger already had them.</param>
/// <param name="Invalidated">Transactions the ledger invalidated (e.g. the same hash twice in one file).</param>
/// <param name="Height">Ledger height afterwards.</param>
public sealed record ImportSummary(int EndpointsEnrolled, int AppsCreated, int AlreadyPresent, int Invalidated, long Height);
