namespace Pipeline.Contracts;

/// <summary>One topic of the catalogue.</summary>
/// <param name="Name">Default name (a deployment may prefix it).</param>
/// <param name="Key">What the message key holds.</param>
/// <param name="ValueType">The contract type of the value; null for dead-letter topics (original bytes).</param>
/// <param name="Partitions">Partitions to create; bounds the parallelism of a consumer group.</param>
/// <param name="CleanupPolicy">"delete" or "compact".</param>
public sealed record TopicDefinition(string Name, string Key, Type? ValueType, int Partitions, string CleanupPolicy)
{
    /// <summary>The same topic under a deployment prefix (e.g. "staging." + name).</summary>
    public TopicDefinition WithPrefix(string prefix) => this with { Name = prefix + Name };
}
