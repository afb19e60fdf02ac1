using Pipeline.Contracts;

namespace Pipeline.Processing.Scoring;

/// <summary>A stateful, single-consumer scorer of one model version: featurizes events in order
/// (keeping per-entity context) and scores them.</summary>
/// <remarks>Not thread-safe. <see cref="Explain"/> refers to the batch of the last <see cref="Score"/> call.</remarks>
public interface IEventScorer
{
    /// <summary>Scores <paramref name="events"/> (BlockEvent, TransactionEvent or DeviceReading
    /// objects, in consumption order) into <paramref name="scores"/>.</summary>
    void Score(IReadOnlyList<object> events, Span<float> scores);

    /// <summary>Up to <paramref name="count"/> features that contributed most to the score of event
    /// <paramref name="index"/> of the last batch (empty when the detector cannot say).</summary>
    IReadOnlyList<NamedValue> Explain(int index, int count);
}
