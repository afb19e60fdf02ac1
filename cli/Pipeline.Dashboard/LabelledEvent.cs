namespace Pipeline.Dashboard;

/// <summary>Ground truth for one source message: where it is, and its producer label
/// ("normal" or an attack type, from the Kafka <c>label</c> header).</summary>
public sealed record LabelledEvent(string Topic, int Partition, long Offset, string Label)
{
    /// <summary>Label of benign traffic.</summary>
    public const string Normal = "normal";

    /// <summary>True when the label names an attack.</summary>
    public bool IsAttack => !string.Equals(Label, Normal, StringComparison.OrdinalIgnoreCase);
}
