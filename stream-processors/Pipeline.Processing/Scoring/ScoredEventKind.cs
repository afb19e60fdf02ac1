namespace Pipeline.Processing.Scoring;

/// <summary>The event contracts scoring understands.</summary>
public enum ScoredEventKind
{
    /// <summary>BlockEvent on chain.blocks.</summary>
    Block,

    /// <summary>TransactionEvent on chain.transactions.</summary>
    Transaction,

    /// <summary>DeviceReading on iiot.telemetry.</summary>
    Reading,
}
