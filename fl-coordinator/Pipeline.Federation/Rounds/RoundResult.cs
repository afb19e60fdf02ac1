using Pipeline.Contracts;

namespace Pipeline.Federation;

/// <summary>The outcome of one federated round, failures included as data.</summary>
public sealed record RoundResult
{
    /// <summary>Model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>Round number.</summary>
    public required long Round { get; init; }

    /// <summary>Global version the round started from (0 = none).</summary>
    public required long BaseVersion { get; init; }

    /// <summary>How the round ended.</summary>
    public required RoundStatus Status { get; init; }

    /// <summary>Why it was skipped or failed; null when published.</summary>
    public string? Reason { get; init; }

    /// <summary>Participants asked to train.</summary>
    public IReadOnlyList<string> Selected { get; init; } = [];

    /// <summary>Participants whose updates passed validation.</summary>
    public IReadOnlyList<string> Accepted { get; init; } = [];

    /// <summary>Updates dropped in the round, its calibration phase included, with reasons (late ones as <see cref="RejectionReason.StaleRound"/>).</summary>
    public IReadOnlyList<RejectedUpdate> Rejected { get; init; } = [];

    /// <summary>Updates for earlier rounds that arrived during this one (its calibration phase included); counted and dropped.</summary>
    public int Late { get; init; }

    /// <summary>Bytes of update messages received during the round.</summary>
    public long BytesReceived { get; init; }

    /// <summary>Parameter bytes of the accepted updates (the compressible part).</summary>
    public long ParameterBytesAccepted { get; init; }

    /// <summary>The published model (null unless <see cref="RoundStatus.Published"/>).</summary>
    public GlobalModel? Model { get; init; }
}
