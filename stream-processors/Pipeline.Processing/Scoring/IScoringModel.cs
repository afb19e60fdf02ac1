namespace Pipeline.Processing.Scoring;

/// <summary>One version of a global model, ready to score: immutable and shared by every batch.</summary>
/// <remarks>Thread-safe. Scoring state (featurizer context) lives in the scorers it creates.</remarks>
public interface IScoringModel
{
    /// <summary>Model key: a stream ("chain", "iiot") or a topic ("chain.blocks") it applies to.</summary>
    string Key { get; }

    /// <summary>Global model version (GlobalModel.Version); carried on every alert.</summary>
    long Version { get; }

    /// <summary>Detector name written on alerts (e.g. "isolation_forest").</summary>
    string Detector { get; }

    /// <summary>Scores above this are alerts.</summary>
    double Threshold { get; }

    /// <summary>Whether this model scores events of <paramref name="kind"/>.</summary>
    bool Scores(ScoredEventKind kind);

    /// <summary>A new stateful scorer for one consumer. Given <paramref name="previous"/>, the scorer of the version this
    /// one replaces, it goes on from that scorer's entity context (and its held events) where both featurize events the
    /// same way; <paramref name="previous"/> then holds nothing and must not score again. Otherwise it starts cold and
    /// <paramref name="previous"/> is left as it was.</summary>
    IEventScorer CreateScorer(IEventScorer? previous = null);
}
