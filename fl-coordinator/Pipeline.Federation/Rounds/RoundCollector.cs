using System.Security.Cryptography;
using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Federation;

/// <summary>
/// Validates the updates of one open round — model, registered key, signature, nonce, round, selection, duplicate,
/// base version, kind, samples, payload, shapes, finite values, norm bound — and keeps the accepted ones.
/// </summary>
/// <remarks>Pure apart from the injected key lookup; not thread-safe (owned by the coordinator loop).</remarks>
public sealed class RoundCollector
{
    private readonly Func<string, ECDsa?> _keys;
    private readonly NonceLedger _nonces;
    private readonly float[]? _baseVector;
    private readonly IReadOnlyList<int>? _nedSizes;
    private readonly int _inputDimension;
    private readonly double _maxNorm;
    private readonly Dictionary<string, AcceptedUpdate> _accepted = new(StringComparer.Ordinal);
    private readonly List<RejectedUpdate> _rejected = [];

    /// <summary>Opens collection for <paramref name="announcement"/>.</summary>
    /// <param name="announcement">The round as announced.</param>
    /// <param name="baseBundle">The global model the round starts from (null in the bootstrap round).</param>
    /// <param name="bootstrapLayout">The layout used when there is no base model.</param>
    /// <param name="nedSizes">Expected NED layer widths when there is no base model (ignored otherwise).</param>
    /// <param name="keys">Registered public key of a participant, or null.</param>
    /// <param name="nonces">Nonces seen so far (shared across rounds).</param>
    /// <param name="maxUpdateNorm">Largest L2 norm of a NED update (0 = no bound).</param>
    public RoundCollector(RoundAnnouncement announcement, ModelBundle? baseBundle, BundleLayout bootstrapLayout, IReadOnlyList<int>? nedSizes,
        Func<string, ECDsa?> keys, NonceLedger nonces, double maxUpdateNorm)
    {
        Announcement = announcement ?? throw new ArgumentNullException(nameof(announcement));
        BaseBundle = baseBundle;
        Layout = baseBundle?.Layout ?? bootstrapLayout ?? throw new ArgumentNullException(nameof(bootstrapLayout));
        _keys = keys ?? throw new ArgumentNullException(nameof(keys));
        _nonces = nonces ?? throw new ArgumentNullException(nameof(nonces));
        _inputDimension = Layout.InputDimension;
        _maxNorm = maxUpdateNorm;
        if (baseBundle?.Detector is NedDetector ned)
        {
            _baseVector = NedParameters.Flatten(ned);
            _nedSizes = ned.LayerSizes;
        }
        else
        {
            _nedSizes = nedSizes;
        }
    }

    /// <summary>The round being collected.</summary>
    public RoundAnnouncement Announcement { get; }

    /// <summary>The base global model, if any.</summary>
    public ModelBundle? BaseBundle { get; }

    /// <summary>The layout every update must fit.</summary>
    public BundleLayout Layout { get; }

    /// <summary>The base model's NED vector (null without a NED base).</summary>
    public float[]? BaseVector => _baseVector;

    /// <summary>Accepted updates in arrival order of participants.</summary>
    public IReadOnlyList<AcceptedUpdate> Accepted => [.. _accepted.Values];

    /// <summary>Rejected updates so far.</summary>
    public IReadOnlyList<RejectedUpdate> Rejected => _rejected;

    /// <summary>Updates of earlier rounds seen during this one.</summary>
    public int Late { get; private set; }

    /// <summary>Bytes of all update messages offered.</summary>
    public long BytesReceived { get; private set; }

    /// <summary>Parameter bytes of the accepted updates.</summary>
    public long ParameterBytesAccepted { get; private set; }

    /// <summary>
    /// True for a calibration round (announced with zero local epochs): participants score the base model — the
    /// aggregated candidate — on their window and report its score quantile instead of training.
    /// </summary>
    public bool IsCalibration => Announcement.LocalEpochs == 0;

    /// <summary>True once every selected participant has an accepted update.</summary>
    public bool AllAnswered => Announcement.SelectedParticipants.All(_accepted.ContainsKey);

    /// <summary>Validates <paramref name="update"/>; returns null when accepted, otherwise the rejection (also recorded).</summary>
    public RejectedUpdate? Offer(ModelUpdate update, int messageBytes)
    {
        ArgumentNullException.ThrowIfNull(update);
        BytesReceived += messageBytes;
        var rejection = Check(update, out var payload);
        if (rejection is not null)
        {
            if (rejection.Reason == RejectionReason.StaleRound) Late++;
            _rejected.Add(rejection);
            return rejection;
        }

        _accepted[update.ParticipantId] = new AcceptedUpdate(update, payload!);
        ParameterBytesAccepted += update.Parameters.Length;
        return null;
    }

    private RejectedUpdate? Check(ModelUpdate u, out UpdatePayload? payload)
    {
        payload = null;
        RejectedUpdate Reject(RejectionReason reason, string detail) => new(u.ParticipantId, u.Round, reason, detail);
        if (u.ModelName != Announcement.ModelName) return Reject(RejectionReason.WrongModel, $"model '{u.ModelName}', collecting '{Announcement.ModelName}'");
        var key = _keys(u.ParticipantId);
        if (key is null) return Reject(RejectionReason.UnknownParticipant, $"no public key registered for '{u.ParticipantId}'");
        if (u.Signature.Length == 0) return Reject(RejectionReason.Unsigned, "the update carries no signature");
        bool valid;
        try
        {
            valid = UpdateSigner.Verify(u, key);
        }
        catch (CryptographicException ex)
        {
            return Reject(RejectionReason.BadSignature, $"signature does not parse: {ex.Message}");
        }

        if (!valid) return Reject(RejectionReason.BadSignature, "signature does not verify with the registered key");
        if (!_nonces.TryAdd(u.Nonce)) return Reject(RejectionReason.Replayed, $"nonce {u.Nonce} was already used");
        if (u.Round < Announcement.Round) return Reject(RejectionReason.StaleRound, $"round {u.Round} is closed; round {Announcement.Round} is open");
        if (u.Round > Announcement.Round) return Reject(RejectionReason.FutureRound, $"round {u.Round} was never announced; round {Announcement.Round} is open");
        if (!Announcement.SelectedParticipants.Contains(u.ParticipantId)) return Reject(RejectionReason.NotSelected, $"'{u.ParticipantId}' was not selected for round {u.Round}");
        if (_accepted.ContainsKey(u.ParticipantId)) return Reject(RejectionReason.Duplicate, $"'{u.ParticipantId}' already has an update in round {u.Round}");
        if (u.BaseVersion != Announcement.BaseVersion) return Reject(RejectionReason.StaleBaseVersion, $"trained from version {u.BaseVersion}, round {u.Round} starts from {Announcement.BaseVersion}");
        if (u.DetectorKind != Announcement.DetectorKind) return Reject(RejectionReason.WrongKind, $"detector '{u.DetectorKind}', round is '{Announcement.DetectorKind}'");
        if (u.SampleCount <= 0) return Reject(RejectionReason.InvalidSampleCount, $"sample count {u.SampleCount}");
        if (IsCalibration) return CheckReport(u, Reject, out payload);
        try
        {
            var compression = ParameterCodec.Parse(u.Compression);
            payload = UpdatePayload.Decode(u.Parameters, compression, _baseVector);
        }
        catch (FormatException ex)
        {
            return Reject(RejectionReason.Malformed, ex.Message);
        }

        var expectedKind = DetectorKinds.Parse(Announcement.DetectorKind);
        if (payload.Kind != expectedKind) return Reject(RejectionReason.WrongKind, $"payload holds a {payload.Kind} model, round is {expectedKind}");
        if (BaseBundle is null && payload.Standardizer is null) return Reject(RejectionReason.ShapeMismatch, "the bootstrap round needs the participant's standardizer");
        if (payload.Standardizer is { } s && s.Dimension != Layout.FeatureDimension)
        {
            return Reject(RejectionReason.ShapeMismatch, $"standardizer has {s.Dimension} features, the layout {Layout.FeatureDimension}");
        }

        if (BaseBundle is null && Layout.HasRelations && payload.Relations is null) return Reject(RejectionReason.ShapeMismatch, "the bootstrap round needs the participant's relation model");
        if (payload.Relations is { } rel && !Layout.Takes(rel))
        {
            return Reject(RejectionReason.ShapeMismatch, $"relation model of {rel.Shape} does not fit the layout ({(Layout.HasRelations ? Layout.RelationShape : "none")})");
        }

        if (BaseBundle is null && Layout.HasBalance && payload.Balance is null) return Reject(RejectionReason.ShapeMismatch, "the bootstrap round needs the participant's mass balance model");
        if (payload.Balance is { } balance && !Layout.Takes(balance))
        {
            return Reject(RejectionReason.ShapeMismatch, $"mass balance model of {balance.Slots} slots does not fit the layout");
        }

        return payload.Vector is not null ? CheckVector(payload, Reject) : CheckDetector(payload, Reject);
    }

    // A calibration report: no parameters, a finite non-negative score quantile of the base (candidate) model.
    private RejectedUpdate? CheckReport(ModelUpdate u, Func<RejectionReason, string, RejectedUpdate> reject, out UpdatePayload? payload)
    {
        payload = null;
        if (u.Parameters.Length != 0) return reject(RejectionReason.Malformed, $"a calibration report carries no parameters, got {u.Parameters.Length} bytes");
        var quantile = NamedValue.Find(u.LocalMetrics, RoundAggregator.ThresholdMetric) ?? double.NaN;
        if (!double.IsFinite(quantile) || quantile < 0) return reject(RejectionReason.NonFinite, $"reported quantile {quantile}");
        payload = UpdatePayload.CalibrationReport(DetectorKinds.Parse(Announcement.DetectorKind));
        return null;
    }

    private RejectedUpdate? CheckVector(UpdatePayload payload, Func<RejectionReason, string, RejectedUpdate> reject)
    {
        if (_nedSizes is not null && !payload.LayerSizes!.SequenceEqual(_nedSizes))
        {
            return reject(RejectionReason.ShapeMismatch, $"NED layers [{string.Join(", ", payload.LayerSizes!)}], expected [{string.Join(", ", _nedSizes)}]");
        }

        if (payload.LayerSizes![0] != _inputDimension) return reject(RejectionReason.ShapeMismatch, $"NED input {payload.LayerSizes[0]}, layout gives {_inputDimension}");
        var vector = payload.Vector!;
        for (var i = 0; i < vector.Length; i++)
        {
            if (!float.IsFinite(vector[i])) return reject(RejectionReason.NonFinite, $"parameter {i} is {vector[i]}");
        }

        if (_maxNorm > 0)
        {
            var norm = AggregationMath.Distance(vector, _baseVector);
            if (norm > _maxNorm) return reject(RejectionReason.NormExceeded, $"update norm {norm:G4} exceeds the bound {_maxNorm:G4}");
        }

        return null;
    }

    private RejectedUpdate? CheckDetector(UpdatePayload payload, Func<RejectionReason, string, RejectedUpdate> reject)
    {
        IAnomalyDetector detector;
        try
        {
            detector = DetectorSerializer.Deserialize(payload.DetectorBytes);
        }
        catch (ModelFormatException ex)
        {
            return reject(RejectionReason.Malformed, ex.Message);
        }

        if (detector.Kind != payload.Kind) return reject(RejectionReason.WrongKind, $"detector blob is {detector.Kind}, payload says {payload.Kind}");
        if (detector.Dimension != _inputDimension) return reject(RejectionReason.ShapeMismatch, $"detector takes {detector.Dimension} inputs, layout gives {_inputDimension}");
        if (!double.IsFinite(detector.Threshold)) return reject(RejectionReason.NonFinite, $"threshold {detector.Threshold}");
        return null;
    }
}
