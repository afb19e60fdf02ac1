namespace Pipeline.Processing.Engine;

/// <summary>What processing one batch decided: messages to produce and messages to dead-letter.</summary>
/// <remarks>Not thread-safe; one per batch. <see cref="Clear"/> lets the loop reuse it.</remarks>
public sealed class BatchResult
{
    private readonly List<OutputMessage> _outputs = [];
    private readonly List<PoisonVerdict> _poison = [];

    public IReadOnlyList<OutputMessage> Outputs => _outputs;

    public IReadOnlyList<PoisonVerdict> Poison => _poison;

    public void AddOutput(string topic, string? key, byte[] value) => _outputs.Add(new OutputMessage(topic, key, value));

    public void AddPoison(int index, string reason, string detail) => _poison.Add(new PoisonVerdict(index, reason, detail));

    public void Clear()
    {
        _outputs.Clear();
        _poison.Clear();
    }
}
