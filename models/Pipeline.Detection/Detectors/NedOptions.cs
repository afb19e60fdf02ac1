using Pipeline.Contracts;

namespace Pipeline.Detection;

/// <summary>
/// NED (neural encoder-decoder) settings. The paper trains with SGD, E = 4 local epochs and learning rate 3e-2 per
/// federated round; these defaults keep SGD and lr 3e-2 but add momentum 0.9 and use 12 epochs for a single fit,
/// because four plain-SGD epochs leave the reconstruction of correlated sensor data visibly under-fitted (the quality
/// table in docs/detection.md was produced with these defaults). Set <see cref="Epochs"/> = 4 and
/// <see cref="Momentum"/> = 0 for the paper's exact local step.
/// </summary>
public sealed record NedOptions : DetectorOptions
{
    /// <summary>Encoder layer widths after the input, ending at the bottleneck; the decoder mirrors them.</summary>
    public IReadOnlyList<int> HiddenLayers { get; init; } = [32, 8];

    /// <summary>Training epochs E.</summary>
    public int Epochs { get; init; } = 12;

    /// <summary>Mini-batch size B.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Learning rate.</summary>
    public double LearningRate { get; init; } = 3e-2;

    /// <summary>Optimizer.</summary>
    public NedOptimizer Optimizer { get; init; } = NedOptimizer.Sgd;

    /// <summary>SGD momentum (ignored by Adam).</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>Hidden activation.</summary>
    public NedActivation Activation { get; init; } = NedActivation.Tanh;

    /// <summary>
    /// Weight each feature's squared error by 1 / (its residual variance on the training rows), normalised to mean 1.
    /// Plain MSE (false, the paper's score) lets features the network cannot predict drown out broken physical
    /// relations that it reconstructs tightly; weighting raised the IIoT ROC AUC (docs/detection.md).
    /// </summary>
    public bool ResidualWeighting { get; init; } = true;

    /// <summary>
    /// The residual weighting a stream's NED uses unless configured: off for <see cref="Topics.ChainBlocks"/>, on
    /// otherwise. With the look-ahead columns of blocks scored after confirmations, plain MSE gained 0.007–0.024 ROC AUC
    /// on all nine non-held-out seeds (docs/detection.md); on IIoT weighting is the gain.
    /// </summary>
    public static bool ResidualWeightingFor(string stream) => stream != Topics.ChainBlocks;

    /// <summary>
    /// Input columns that are already residuals of another model (IIoT's relation residual <c>rel</c>, one per sequence
    /// position; <c>BundleTrainer</c> sets them). With <see cref="ResidualWeighting"/> such a column's error weight is
    /// that of the average feature (1, the other features' weights being scaled to mean 1 among themselves) instead of
    /// 1 / the network's residual variance on it: a residual is noise by construction, so the network cannot
    /// reconstruct it, and weighting it by how badly it does left the relation check at 1/30 of that
    /// (docs/detection.md, "Relation residual weight").
    /// </summary>
    public IReadOnlyList<int> ResidualColumns { get; init; } = [];

    /// <summary>
    /// Fence factor k of the training support: rows are encoded clamped to each feature's Tukey fences
    /// [Q1 − k·IQR, Q3 + k·IQR] (quartiles of the training rows) and the reconstruction error is measured against the
    /// unclamped row, so the excess beyond the support always counts (an autoencoder otherwise extrapolates, and learns to
    /// reconstruct attacks that the unlabelled training window holds at a low rate). Quartiles stay put under up to 25 %
    /// contamination per tail; the default 3 is Tukey's "far out". Where a feature's 1st or 99th training percentile lies
    /// beyond its fence (heavy tails), the support extends to it, so it never leaves out more than 1 % of the training
    /// rows per tail. A feature with IQR = 0 (a flag, a state change, a
    /// value only some devices report) is not clamped: its tails are its events. <see cref="double.PositiveInfinity"/>
    /// turns the clamp off.
    /// </summary>
    public double SupportFence { get; init; } = 3;

    /// <summary>
    /// Share of the training rows left out of each trimming round (0, the default, trains once). <c>Fit</c> trains the
    /// network, then <see cref="TrimIterations"/> times scores every training row with the current model and fits again
    /// as if the <see cref="TrimFraction"/> it reconstructs worst were not there: the training support
    /// (<see cref="SupportFence"/>) from the rows kept, and the same initial network trained on them; the input
    /// standardisation and the threshold still come from every training row. The
    /// unlabelled training window holds attacks: an autoencoder learns a recurring attack as a mode it reconstructs, and
    /// an attack above 1 % of the window stretches the support over itself (PCA-Mahalanobis removes its highest-distance
    /// rows for the same reason). A federated participant continuing a global model (<c>BundleTrainer.ContinueNed</c>)
    /// leaves out the local rows the global model reconstructs worst and keeps the global support. Set it at or above
    /// the share of attacks expected in a training window; rows left out cost nothing but the rarest normal rows
    /// scoring higher.
    /// </summary>
    public double TrimFraction { get; init; }

    /// <summary>Trimming rounds when <see cref="TrimFraction"/> &gt; 0 (2, as PCA-Mahalanobis; each round re-selects
    /// from every training row); each round is one more training run.</summary>
    public int TrimIterations { get; init; } = 2;

    /// <summary>
    /// The <see cref="TrimFraction"/> a stream's NED uses unless configured: 0.2 for <see cref="Topics.ChainBlocks"/>,
    /// 0.03 for <see cref="Topics.ChainTransactions"/>, 0 for IIoT. Measured in docs/detection.md ("Trimmed
    /// training"): blocks gained on every one of nine non-held-out seeds at 0.1 and again on average at 0.2 (two rounds),
    /// transactions on the weak ones of 35 (0.977–0.992 to 0.996–0.999) and lost at most 0.002 on any; IIoT gained on its
    /// development seeds and lost on every check seed.
    /// </summary>
    public static double TrimFractionFor(string stream) => stream switch
    {
        Topics.ChainBlocks => 0.2,
        Topics.ChainTransactions => 0.03,
        _ => 0,
    };

    internal void Validate()
    {
        ValidateCommon();
        if (HiddenLayers is null || HiddenLayers.Count == 0 || HiddenLayers.Any(h => h < 1))
        {
            throw new ArgumentException("HiddenLayers needs at least one positive width.", nameof(HiddenLayers));
        }

        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "At least one epoch is required.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "Batch size must be positive.");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "Learning rate must be positive.");
        if (!(Momentum >= 0 && Momentum < 1)) throw new ArgumentOutOfRangeException(nameof(Momentum), Momentum, "Momentum must be in [0, 1).");
        if (TrimIterations < 1) throw new ArgumentOutOfRangeException(nameof(TrimIterations), TrimIterations, "At least one trimming round is required.");
        if (!(TrimFraction >= 0 && TrimFraction < 0.5)) throw new ArgumentOutOfRangeException(nameof(TrimFraction), TrimFraction, "The trimmed share of training rows must be in [0, 0.5).");
        if (!(SupportFence > 0)) throw new ArgumentOutOfRangeException(nameof(SupportFence), SupportFence, "The support fence factor must be positive.");
        if (ResidualColumns is null) throw new ArgumentNullException(nameof(ResidualColumns));
        if (ResidualColumns.Any(c => c < 0)) throw new ArgumentOutOfRangeException(nameof(ResidualColumns), "A residual column must not be negative.");
    }
}
