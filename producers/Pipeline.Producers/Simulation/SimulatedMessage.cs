namespace Pipeline.Producers.Simulation;

/// <summary>One message ready for Kafka: topic, key, Avro single-object value and its ground-truth label.</summary>
/// <param name="Topic">Catalogue topic name (no deployment prefix).</param>
/// <param name="Key">Message key, as the topic table says (cluster, factory or endpoint id).</param>
/// <param name="Value">The event in Avro single-object encoding.</param>
/// <param name="Label">"normal" or the attack type; travels in the <c>label</c> header, never in the payload.
/// Null when the source carries no ground truth (a replay without a label column).</param>
/// <param name="TimestampMs">Event time in Unix milliseconds (the Kafka message timestamp).</param>
public readonly record struct SimulatedMessage(string Topic, string Key, byte[] Value, string? Label, long TimestampMs);
