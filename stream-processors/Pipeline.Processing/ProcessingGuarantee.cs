namespace Pipeline.Processing;

/// <summary>Delivery guarantee of a processor's outputs relative to its input offsets.</summary>
public enum ProcessingGuarantee
{
    /// <summary>Outputs are acknowledged before offsets are committed; a crash replays the batch
    /// (alert ids are deterministic, so replays are recognisable).</summary>
    AtLeastOnce,

    /// <summary>Outputs and offsets are committed in one Kafka transaction
    /// (SendOffsetsToTransaction). Needs a real broker that enforces read_committed.</summary>
    ExactlyOnceV2,
}
