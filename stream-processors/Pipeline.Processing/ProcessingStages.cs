namespace Pipeline.Processing;

/// <summary>Names of the stages a batch goes through, as recorded by
/// <see cref="ProcessingMetrics.StageElapsed"/> (the <c>stage</c> tag of processing_stage_ms).</summary>
/// <remarks><see cref="Process"/> is the whole of the processor's logic; scoring also records its
/// parts <see cref="Decode"/>, <see cref="Score"/> and <see cref="Alerts"/>, which lie inside it.</remarks>
public static class ProcessingStages
{
    /// <summary>Collecting the batch from the consumer (Consume calls until full or timed out).</summary>
    public const string Consume = "consume";

    /// <summary>The processor's logic for the batch (IBatchProcessor.ProcessAsync).</summary>
    public const string Process = "process";

    /// <summary>Avro decode and validation (inside <see cref="Process"/>).</summary>
    public const string Decode = "decode";

    /// <summary>Featurize, standardise and score with the model (inside <see cref="Process"/>).</summary>
    public const string Score = "score";

    /// <summary>Building and encoding alerts for scores above the threshold (inside <see cref="Process"/>).</summary>
    public const string Alerts = "alerts";

    /// <summary>Producing outputs and dead letters and waiting for every acknowledgement.</summary>
    public const string Deliver = "deliver";

    /// <summary>Committing the batch's offsets (or the transaction).</summary>
    public const string Commit = "commit";
}
