using System.Globalization;
using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Federation;

/// <summary>
/// Settings of one federated model, shared by its coordinator and participants (section <c>Federation</c>). The round
/// parameters (epochs E, batch B, learning rate η) travel in each RoundAnnouncement, so participants follow the
/// coordinator's values; the layout and detector settings here only matter for the bootstrap round (base version 0) —
/// afterwards everyone uses the layout inside the global model.
/// </summary>
public sealed class FederationOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Federation";

    /// <summary>
    /// One model per scored stream: NED on telemetry, CBLOF on blocks (few events, so 40 suffice to answer a round) and on
    /// transactions — the detectors that did best on each stream of the scenario in federated rounds (docs/federation.md).
    /// </summary>
    public const string DefaultModels = "iiot-ned:iiot.telemetry:ned, chain-blocks-cblof:chain.blocks:cblof:40, chain-transactions-cblof:chain.transactions:cblof";

    /// <summary>
    /// Models federated side by side (FederationHost, <c>pipeline fl</c>), comma-separated
    /// <c>name:stream:detector[:minLocalSamples]</c>; every other key is shared. Empty = the single model
    /// ModelName/Stream/Detector. The <c>pipeline fl</c> commands (so <c>pipeline up</c>) use DefaultModels, one model per
    /// stream, unless Models, ModelName, Stream or Detector is configured.
    /// </summary>
    public string Models { get; set; } = "";

    /// <summary>Model name: the key on the fl.* topics (the single model when Models is empty).</summary>
    public string ModelName { get; set; } = "iiot-ned";

    /// <summary>Input topic the model scores (iiot.telemetry, chain.blocks or chain.transactions).</summary>
    public string Stream { get; set; } = Topics.IiotTelemetry;

    /// <summary>Detector kind: ned, isolation-forest, pca, kmeans, cblof.</summary>
    public string Detector { get; set; } = "ned";

    /// <summary>Aggregation strategy for NED vectors: fedavg, median, trimmed-mean, krum. Other detectors use their own federated merge.</summary>
    public string Strategy { get; set; } = "fedavg";

    /// <summary>β of trimmed-mean.</summary>
    public double TrimFraction { get; set; } = 0.2;

    /// <summary>f of Krum: tolerated Byzantine participants.</summary>
    public int KrumByzantine { get; set; } = 1;

    /// <summary>m of Multi-Krum (1 = Krum).</summary>
    public int KrumSelect { get; set; } = 1;

    /// <summary>Fraction C of registered participants selected per round.</summary>
    public double FractionFit { get; set; } = 1.0;

    /// <summary>Quorum: accepted updates needed to aggregate normally.</summary>
    public int MinParticipants { get; set; } = 2;

    /// <summary>Seconds from announcement to deadline.</summary>
    public double RoundTimeoutSeconds { get; set; } = 60;

    /// <summary>Pause between the end of a round and the next announcement.</summary>
    public double RoundIntervalSeconds { get; set; } = 5;

    /// <summary>A round short of quorum at its deadline: <c>close</c> (aggregate what arrived, if anything) or <c>skip</c>.</summary>
    public string QuorumPolicy { get; set; } = "close";

    /// <summary>Rounds after which the coordinator stops (0 = run until cancelled).</summary>
    public int MaxRounds { get; set; }

    /// <summary>Local epochs E per round.</summary>
    public int LocalEpochs { get; set; } = 4;

    /// <summary>Local mini-batch size B.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Local learning rate η (SGD).</summary>
    public double LearningRate { get; set; } = 0.03;

    /// <summary>Local SGD momentum.</summary>
    public double Momentum { get; set; } = 0.9;

    /// <summary>NED encoder widths, comma-separated (the decoder mirrors them).</summary>
    public string HiddenLayers { get; set; } = "32,8";

    /// <summary>
    /// NED's support fence factor k (<see cref="NedOptions.SupportFence"/>); off (infinity) by default for federated
    /// training: a participant's local window covers minutes of a few plants, so clamping to its quartile fences flagged
    /// process states the window had not visited (FederationConvergenceTests' central NED: ROC AUC 0.940 without the
    /// clamp, 0.913 with k = 3; clean FedAvg 0.90 → 0.81). Set it where local windows cover the operating range.
    /// </summary>
    public double NedSupportFence { get; set; } = double.PositiveInfinity;

    /// <summary>
    /// CBLOF's α for federated models (<see cref="CblofOptions.Alpha"/>: the large clusters together hold at least this
    /// share of the rows), in (0, 1]. Unset: 0.85 for chain.blocks, the paper's 0.9 for the other streams
    /// (<see cref="CblofAlphaInEffect"/>). A block model's windows grow from a few dozen blocks and its merged clusters are
    /// less peaked than a central fit's: with 0.9 a round now and then counted a cluster of 4–7 % of the rows as large,
    /// often the attack blocks, whose rows then scored against their own centroid. 0.85 raised chain.blocks' held-out ROC
    /// AUC, averaged over 22 rounds, by 0.005 on the nine seeds it was chosen on (higher on eight, equal on one) and by
    /// 0.004 on five more (with the current block features, since the fake-block fix: by 0.010 and 0.004); it cost
    /// chain.transactions 0.0004–0.0008, which keeps 0.9 (<c>bench federation --sections chain</c>, docs/federation.md).
    /// </summary>
    public double? CblofAlpha { get; set; }

    /// <summary>The CBLOF α in effect: <see cref="CblofAlpha"/>, else 0.85 for chain.blocks and 0.9 for the other streams.</summary>
    public double CblofAlphaInEffect => CblofAlpha ?? (Stream == Topics.ChainBlocks ? 0.85 : 0.9);

    /// <summary>
    /// Whether IIoT bundles carry the <c>rel</c> feature (<see cref="FeaturizerOptions.RelationResiduals"/>). On by
    /// default: the global model scores the plants the participants train on, and there it raised the held-out ROC AUC on
    /// each of six scenario seeds in sliding-window federation (mean of the last six of twelve rounds 0.857–0.933 off,
    /// 0.910–0.965 on; <c>bench federation --sections windows</c>, docs/federation.md). On another seed's plants it costs
    /// (FederationConvergenceTests' setup: clean FedAvg 0.867 after 10 rounds against 0.906 off), so that test pins it
    /// off. The relation statistics federate exactly (sums of sufficient statistics).
    /// </summary>
    public bool RelationResiduals { get; set; } = true;

    /// <summary>
    /// The measurement that is each process unit's tank level, for the mass balance (the <c>bal</c> feature,
    /// <see cref="FeaturizerOptions.BalanceLevel"/>; with <see cref="BalanceFlow"/>, and it needs
    /// <see cref="RelationResiduals"/>). Empty (default): off. For the water-treatment simulator: <c>level_m</c> and
    /// <c>flow_m3h</c>. Applies to the iiot.telemetry model(s) only. Off by default because it did not pass the keep rule
    /// of docs/detection.md ("Mass balance"): a large gain where flow meters drift, a small loss elsewhere. Each unit's
    /// area comes from the bootstrap round's local window of the participant that holds the unit: a window needs at least
    /// 240 level readings of a unit for it.
    /// </summary>
    public string BalanceLevel { get; set; } = "";

    /// <summary>The measurement that is a flow into or out of a unit's tank (see <see cref="BalanceLevel"/>). Empty: off.</summary>
    public string BalanceFlow { get; set; } = "";

    /// <summary>
    /// Comma-separated on/off measurements whose latest values split each relation fit into state regimes
    /// (<see cref="FeaturizerOptions.RelationStates"/>; needs <see cref="RelationResiduals"/>). Empty (default): the
    /// water-treatment simulator's <c>open,running</c> when <see cref="Measurements"/> is empty too (the simulator's
    /// names), none otherwise; <c>none</c>: off. Applies to the iiot.telemetry model(s) only. On for the simulator
    /// because it passed the keep rule of docs/detection.md ("State regimes") on five fresh seeds: a flow meter spoofed
    /// or drifting behind a shut valve stands out.
    /// </summary>
    public string RelationStates { get; set; } = "";

    /// <summary>Events per detector input row (NED sequence length w).</summary>
    public int SequenceLength { get; set; } = 1;

    /// <summary>
    /// NED residual weighting (each feature's error over its training residual variance); unset: off for chain.blocks,
    /// on for the other streams (NedOptions.ResidualWeightingFor, measured in docs/detection.md).
    /// </summary>
    public bool? NedResidualWeighting { get; set; }

    /// <summary>
    /// Share of the training rows a participant's first NED fit (the bootstrap round) leaves out of each of its trimming
    /// fits (NedTrimIterations), support included (those the previous fit reconstructs worst), in [0, 0.5); unset: 0.2 for
    /// chain.blocks, 0.03 for chain.transactions, 0 for iiot.telemetry (NedOptions.TrimFractionFor, measured in
    /// docs/detection.md). Later rounds trim by NedRoundTrimFraction.
    /// </summary>
    public double? NedTrimFraction { get; set; }

    /// <summary>
    /// Share of the local rows a later round's NED epochs leave out: those the announced global model reconstructs worst,
    /// so that the global model does not learn the attacks its participants' windows hold (a sliding window holds each
    /// episode for many rounds), in [0, 0.5). Unset: NedTrimFraction when that is set, else 0.05 for iiot.telemetry and
    /// NedTrimFraction's stream default for the chain streams. Measured on iiot.telemetry (docs/federation.md,
    /// <c>bench federation --sections windows</c>, six seeds): without it the held-out ROC AUC fell from the first to the
    /// twelfth round on five seeds (mean of the last six rounds 0.757–0.904); at 0.05 it rose on five and held on one
    /// (0.910–0.965), and 0.02 and 0.1 were lower than 0.05 on every seed.
    /// </summary>
    public double? NedRoundTrimFraction { get; set; }

    /// <summary>The trimming of a later round's NED epochs in effect (<see cref="NedRoundTrimFraction"/>).</summary>
    public double NedRoundTrim => NedRoundTrimFraction ?? NedTrimFraction ?? (Stream == Topics.IiotTelemetry ? 0.05 : NedOptions.TrimFractionFor(Stream));

    /// <summary>
    /// Trimming fits of a participant's first NED fit when NedTrimFraction is above 0, each re-selecting from every local row
    /// (at least 1; each is one more training run). Later federated rounds trim once against the global model.
    /// </summary>
    public int NedTrimIterations { get; set; } = 2;

    /// <summary>
    /// Confirmations k of a chain.blocks federation (ignored for the other streams): each block is scored once k more
    /// blocks of its chain have arrived, with six look-ahead features; 0 scores blocks on arrival. At 6, chain blocks
    /// NED ROC AUC 0.953 against 0.787 on arrival, trained once (0.982 with the default trimming; seed 2026,
    /// docs/detection.md); alerts come k block intervals later.
    /// </summary>
    public int BlockConfirmations { get; set; } = BundleLayout.DefaultBlockConfirmations;

    /// <summary>Featurizer rolling window (events per entity).</summary>
    public int FeatureWindow { get; set; } = 16;

    /// <summary>Contamination: participants report the (1 − c) quantile of local scores; the global threshold is their sample-weighted median.</summary>
    public double Contamination { get; set; } = 0.01;

    /// <summary>
    /// Threshold calibration: <c>global</c> (after aggregating, publish the candidate for participants only, let them score
    /// it on their windows, and publish it again as the next version with the sample-weighted median of their
    /// (1 − c) quantiles) or <c>local</c> (the median of the quantiles of each participant's own local model, one phase).
    /// </summary>
    public string Calibration { get; set; } = "global";

    /// <summary>
    /// Compression of NED updates in later rounds (their delta to the global vector): none, float16, int8. Bootstrap
    /// updates carry absolute values, among them the unbounded training support, and are always sent uncompressed.
    /// </summary>
    public string Compression { get; set; } = "none";

    /// <summary>Largest accepted L2 norm of a NED update (difference to the base vector); 0 disables the check.</summary>
    public double MaxUpdateNorm { get; set; }

    /// <summary>Directory of participant keys (&lt;id&gt;.pub.pem registered; &lt;id&gt;.key.pem private).</summary>
    public string KeyDirectory { get; set; } = "fl-keys";

    /// <summary>Comma-separated participant ids the coordinator selects from; empty = every registered key.</summary>
    public string Participants { get; set; } = "";

    /// <summary>Comma-separated cluster ids that <see cref="FederationHost"/> runs participants for.</summary>
    public string Clusters { get; set; } = "c01,c02,c03";

    /// <summary>
    /// Most recent events a participant keeps for local training. 20,000 by default: with 5,000 IIoT readings per
    /// participant the federated NED's held-out ROC AUC was lower or equal on each of six scenario seeds (mean of the last
    /// six of twelve rounds 0.831–0.944 against 0.910–0.965; docs/federation.md, <c>bench federation --sections
    /// windows</c>). The bootstrap round waits for a full window, or two thirds of RoundTimeoutSeconds.
    /// </summary>
    public int LocalWindow { get; set; } = 20000;

    /// <summary>Events a participant needs before it answers a round.</summary>
    public int MinLocalSamples { get; set; } = 200;

    /// <summary>IIoT measurement names in order, comma-separated; empty = the water-treatment simulator's names.</summary>
    public string Measurements { get; set; } = "";

    /// <summary>Seed of participant selection and of model initialisation (shared, so bootstrap NEDs start alike).</summary>
    public int Seed { get; set; } = 42;

    /// <summary>The participant id used for a cluster: <c>fl-&lt;cluster&gt;</c>.</summary>
    public static string ParticipantIdFor(string clusterId) => "fl-" + clusterId;

    /// <summary>Checks every value; the message names the key.</summary>
    /// <exception cref="ArgumentException">A bad value.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelName)) throw new ArgumentException("Federation:ModelName is empty.");
        if (Stream is not (Topics.IiotTelemetry or Topics.ChainBlocks or Topics.ChainTransactions)) throw new ArgumentException($"Federation:Stream '{Stream}' must be iiot.telemetry, chain.blocks or chain.transactions.");
        if (BlockConfirmations is < 0 or > 64) throw new ArgumentException($"Federation:BlockConfirmations {BlockConfirmations} must be in [0, 64].");
        _ = Kind;
        _ = CompressionKind;
        _ = CreateStrategy();
        _ = Layout();
        _ = HiddenWidths;
        if (!(FractionFit > 0 && FractionFit <= 1)) throw new ArgumentException($"Federation:FractionFit {FractionFit} must be in (0, 1].");
        if (MinParticipants < 1) throw new ArgumentException($"Federation:MinParticipants {MinParticipants} must be at least 1.");
        if (!(RoundTimeoutSeconds > 0)) throw new ArgumentException($"Federation:RoundTimeoutSeconds {RoundTimeoutSeconds} must be positive.");
        if (!(RoundIntervalSeconds >= 0)) throw new ArgumentException($"Federation:RoundIntervalSeconds {RoundIntervalSeconds} cannot be negative.");
        if (Calibration is not ("global" or "local")) throw new ArgumentException($"Federation:Calibration '{Calibration}' must be global or local.");
        if (QuorumPolicy is not ("close" or "skip")) throw new ArgumentException($"Federation:QuorumPolicy '{QuorumPolicy}' must be close or skip.");
        if (MaxRounds < 0) throw new ArgumentException($"Federation:MaxRounds {MaxRounds} cannot be negative.");
        if (LocalEpochs < 1 || BatchSize < 1 || !(LearningRate > 0)) throw new ArgumentException("Federation:LocalEpochs, BatchSize and LearningRate must be positive.");
        if (!(Momentum >= 0 && Momentum < 1)) throw new ArgumentException($"Federation:Momentum {Momentum} must be in [0, 1).");
        if (CblofAlpha is { } alpha && !(alpha > 0 && alpha <= 1)) throw new ArgumentException($"Federation:CblofAlpha {alpha} must be in (0, 1] (the share of the rows the large clusters hold).");
        if (!(NedSupportFence > 0)) throw new ArgumentException($"Federation:NedSupportFence {NedSupportFence} must be positive (Infinity turns the clamp off).");
        if (NedTrimFraction is { } trim && !(trim >= 0 && trim < 0.5)) throw new ArgumentException($"Federation:NedTrimFraction {trim} must be in [0, 0.5) (a share of the training rows; 0 trains once).");
        if (NedRoundTrimFraction is { } roundTrim && !(roundTrim >= 0 && roundTrim < 0.5)) throw new ArgumentException($"Federation:NedRoundTrimFraction {roundTrim} must be in [0, 0.5) (a share of the local rows; 0 trains on all).");
        if (NedTrimIterations < 1) throw new ArgumentException($"Federation:NedTrimIterations {NedTrimIterations} must be at least 1 (trimming fits when NedTrimFraction > 0).");
        if (!(Contamination >= 0 && Contamination < 0.5)) throw new ArgumentException($"Federation:Contamination {Contamination} must be in [0, 0.5).");
        if (!(MaxUpdateNorm >= 0)) throw new ArgumentException($"Federation:MaxUpdateNorm {MaxUpdateNorm} cannot be negative.");
        if (string.IsNullOrEmpty(BalanceLevel) != string.IsNullOrEmpty(BalanceFlow)) throw new ArgumentException("Federation:BalanceLevel and Federation:BalanceFlow are set together (the mass balance needs both).");
        if (ExplicitRelationStates && !RelationResiduals) throw new ArgumentException("Federation:RelationStates needs Federation:RelationResiduals=true (the states split the relation fits); set it to none to turn the states off.");
        if (!string.IsNullOrEmpty(BalanceLevel) && !RelationResiduals) throw new ArgumentException("Federation:BalanceLevel needs Federation:RelationResiduals=true (a level reading's rel guards the balance).");
        if (LocalWindow < 10 || MinLocalSamples < 2 || MinLocalSamples > LocalWindow) throw new ArgumentException("Federation:LocalWindow must be at least 10 and MinLocalSamples in [2, LocalWindow].");
        foreach (var id in ParticipantIds) ParticipantKeyDirectory.ValidateId(id);
        if (Split(Models).Count > 0) _ = ModelOptions();
    }

    /// <summary>
    /// The options of every federated model: for each <see cref="Models"/> entry a copy of these options with its name,
    /// stream, detector (and minimum local samples); without entries just these options.
    /// </summary>
    /// <exception cref="ArgumentException">A malformed entry, a repeated name or an invalid value (the message names the entry).</exception>
    public IReadOnlyList<FederationOptions> ModelOptions()
    {
        var entries = Split(Models);
        if (entries.Count == 0)
        {
            Validate();
            return [this];
        }

        var result = new List<FederationOptions>();
        foreach (var entry in entries)
        {
            var parts = entry.Split(':', StringSplitOptions.TrimEntries);
            if (parts.Length is < 3 or > 4 || parts.Take(3).Any(string.IsNullOrEmpty))
            {
                throw new ArgumentException($"Federation:Models entry '{entry}' must be name:stream:detector[:minLocalSamples].");
            }

            var model = (FederationOptions)MemberwiseClone();
            model.Models = "";
            model.ModelName = parts[0];
            model.Stream = parts[1];
            model.Detector = parts[2];
            if (parts.Length == 4)
            {
                if (!int.TryParse(parts[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var min))
                {
                    throw new ArgumentException($"Federation:Models entry '{entry}': minLocalSamples '{parts[3]}' is not an integer.");
                }

                model.MinLocalSamples = min;
            }

            if (result.Any(m => m.ModelName == model.ModelName)) throw new ArgumentException($"Federation:Models names '{model.ModelName}' twice.");
            try
            {
                model.Validate();
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"Federation:Models entry '{entry}': {ex.Message}", ex);
            }

            result.Add(model);
        }

        return result;
    }

    /// <summary>The configured detector kind.</summary>
    public DetectorKind Kind => DetectorKinds.Parse(Detector);

    /// <summary>The configured compression.</summary>
    public UpdateCompression CompressionKind => ParameterCodec.Parse(Compression);

    /// <summary>Explicit participant ids (empty = all registered keys).</summary>
    public IReadOnlyList<string> ParticipantIds => Split(Participants);

    /// <summary>Cluster ids for <see cref="FederationHost"/>.</summary>
    public IReadOnlyList<string> ClusterIds => Split(Clusters);

    /// <summary>NED encoder widths.</summary>
    public IReadOnlyList<int> HiddenWidths
    {
        get
        {
            var widths = Split(HiddenLayers).Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : -1).ToArray();
            if (widths.Length == 0 || widths.Any(w => w < 1)) throw new ArgumentException($"Federation:HiddenLayers '{HiddenLayers}' must be positive integers separated by commas.");
            return widths;
        }
    }

    /// <summary>The strategy for NED vectors.</summary>
    public IAggregationStrategy CreateStrategy() => AggregationStrategies.Create(Strategy, TrimFraction, KrumByzantine, KrumSelect);

    /// <summary>The bootstrap layout.</summary>
    public BundleLayout Layout()
    {
        var layout = new BundleLayout
        {
            Stream = Stream,
            Measurements = Stream == Topics.IiotTelemetry
                ? (Split(Measurements) is { Count: > 0 } names ? names : BundleLayout.WaterTreatmentMeasurements)
                : [],
            Featurizer = new FeaturizerOptions
            {
                Window = FeatureWindow,
                RelationResiduals = RelationResiduals,
                BalanceLevel = Stream == Topics.IiotTelemetry && !string.IsNullOrEmpty(BalanceLevel) ? BalanceLevel : null,
                BalanceFlow = Stream == Topics.IiotTelemetry && !string.IsNullOrEmpty(BalanceFlow) ? BalanceFlow : null,
                RelationStates = Stream == Topics.IiotTelemetry ? EffectiveRelationStates() : null,
            },
            SequenceLength = SequenceLength,
            Confirmations = Stream == Topics.ChainBlocks ? BlockConfirmations : 0,
        };
        layout.Validate();
        return layout;
    }

    /// <summary>Detector options for local training with the announced E, B, η.</summary>
    public DetectorOptions DetectorOptions(int epochs, int batchSize, double learningRate) => Kind switch
    {
        DetectorKind.Ned => new NedOptions
        {
            HiddenLayers = HiddenWidths,
            Epochs = epochs,
            BatchSize = batchSize,
            LearningRate = learningRate,
            Momentum = Momentum,
            Seed = Seed,
            Contamination = Contamination,
            SupportFence = NedSupportFence,
            ResidualWeighting = NedResidualWeighting ?? NedOptions.ResidualWeightingFor(Stream),
            TrimFraction = NedTrimFraction ?? NedOptions.TrimFractionFor(Stream),
            TrimIterations = NedTrimIterations,
        },
        DetectorKind.IsolationForest => new IsolationForestOptions { Seed = Seed, Contamination = Contamination },
        DetectorKind.PcaMahalanobis => new PcaMahalanobisOptions { Seed = Seed, Contamination = Contamination },
        DetectorKind.KMeans => new KMeansOptions { Seed = Seed, Contamination = Contamination },
        _ => new CblofOptions { Seed = Seed, Contamination = Contamination, Alpha = CblofAlphaInEffect },
    };

    /// <summary>NED layer widths for an input of <paramref name="inputDimension"/>.</summary>
    public IReadOnlyList<int> NedLayerSizes(int inputDimension)
    {
        var hidden = HiddenWidths;
        return [inputDimension, .. hidden, .. hidden.Reverse().Skip(1), inputDimension];
    }

    // RelationStates names measurements (not empty and not none).
    private bool ExplicitRelationStates => FeaturizerOptions.RelationStatesOr(RelationStates, null) is not null;

    // The layout's RelationStates: as configured; empty: the simulator's with the simulator's measurements and relation
    // residuals on, else none; none: none.
    private string? EffectiveRelationStates() =>
        FeaturizerOptions.RelationStatesOr(RelationStates, Split(Measurements).Count == 0 && RelationResiduals ? BundleLayout.WaterTreatmentStates : null);

    private static List<string> Split(string? value) =>
        [.. (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
