namespace Pipeline.Detection;

/// <summary>
/// A fitted anomaly detector: scores batches of feature vectors (higher = more anomalous), carries its
/// calibrated threshold, and serializes to compact, versioned, checksummed bytes
/// (<see cref="DetectorSerializer.Deserialize"/> reads them back, <see cref="FederatedAggregator"/> merges them).
/// </summary>
/// <remarks>
/// Detectors are immutable once fitted. <see cref="Score"/> is safe to call from several threads and does not
/// allocate; rows are passed flat (row-major, <see cref="Dimension"/> floats per row). Scoring is pure managed code for
/// every kind (NED trains with TorchSharp but scores with its weights in managed code), so scores are bit-for-bit
/// reproducible and no native memory needs disposing.
/// </remarks>
public interface IAnomalyDetector
{
    /// <summary>The detector family.</summary>
    DetectorKind Kind { get; }

    /// <summary>Number of features per input row.</summary>
    int Dimension { get; }

    /// <summary>Score above which a row is called anomalous (a calibrated training-score quantile).</summary>
    double Threshold { get; }

    /// <summary>Number of training samples behind this model (the default federation weight).</summary>
    long TrainingSamples { get; }

    /// <summary>Scores <paramref name="rows"/> (row-major, length = scores.Length × Dimension) into <paramref name="scores"/>.</summary>
    /// <exception cref="ArgumentException">The lengths do not match <see cref="Dimension"/>.</exception>
    void Score(ReadOnlySpan<float> rows, Span<float> scores);

    /// <summary>Returns a copy of this detector with another threshold (e.g. recalibrated after federation).</summary>
    IAnomalyDetector WithThreshold(double threshold);

    /// <summary>Serializes the model: header (magic, format version, kind), payload, CRC-32.</summary>
    byte[] Serialize();
}
