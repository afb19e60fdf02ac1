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

    /// <summary>A new stateful scorer for one consumer.</summary>
    IEventScorer CreateScorer();
}
