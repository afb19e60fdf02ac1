using System.Buffers.Binary;
using System.Text;

namespace Pipeline.Detection;

/// <summary>
/// Everything a scoring processor needs to turn events of one stream into scores: the <see cref="BundleLayout"/>
/// (stream, measurement names, featurizer settings, sequence length), the federated <see cref="RunningStandardizer"/>,
/// for telemetry the federated <see cref="RelationModel"/> whose residuals are the <c>rel</c> features (and, when the
/// layout has them, the <see cref="MassBalanceModel"/> of the <c>bal</c> features), and the detector. Serialized into
/// <c>GlobalModel.Model</c>.
/// </summary>
/// <remarks>
/// Immutable and thread-safe; scoring state lives in the <see cref="BundleScorer"/>s it creates (one per consumer).
/// Wire format (little-endian): magic "BHMB", format version (u16), stream, measurement names, featurizer window,
/// max entities, replay memory, baseline alpha, unit slots, relation residuals (bool), balance level and flow measurement
/// names (empty: none), relation state names (comma-separated; empty: none), sequence length, block confirmations (i32), length-prefixed standardizer blob,
/// length-prefixed relation model blob (length 0: none), length-prefixed mass balance blob (length 0: none),
/// length-prefixed detector blob, CRC-32 of all preceding bytes. Version 6 added the relation states, version 5 added the mass balance and the <c>bal</c>
/// features, version 4 the block confirmations, version 3 the relation model and the <c>rel</c> features; older bundles are
/// refused (a federation publishes a new one every round). Strings are a u16 byte length then UTF-8.
/// </remarks>
public sealed class ModelBundle
{
    /// <summary>The format version this build writes and reads.</summary>
    public const ushort FormatVersion = 6;

    private static readonly byte[] Magic = "BHMB"u8.ToArray();

    /// <summary>
    /// Combines a layout, a standardizer, a detector and (for telemetry) a relation model after checking that their
    /// dimensions agree. Without a relation model the <c>rel</c> features are 0.
    /// </summary>
    /// <exception cref="ArgumentException">The layout is invalid or a dimension does not match it.</exception>
    public ModelBundle(BundleLayout layout, RunningStandardizer standardizer, IAnomalyDetector detector, RelationModel? relations = null, MassBalanceModel? balance = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(standardizer);
        ArgumentNullException.ThrowIfNull(detector);
        layout.Validate();
        if (standardizer.Dimension != layout.FeatureDimension)
        {
            throw new ArgumentException($"The standardizer has {standardizer.Dimension} features; the {layout.Stream} layout has {layout.FeatureDimension}.", nameof(standardizer));
        }

        if (detector.Dimension != layout.InputDimension)
        {
            throw new ArgumentException(
                $"The {detector.Kind} detector takes {detector.Dimension} inputs; the layout gives {layout.FeatureDimension} features x {layout.SequenceLength} events = {layout.InputDimension}.",
                nameof(detector));
        }

        if (relations is not null && !layout.Takes(relations))
        {
            throw new ArgumentException(
                $"The relation model has {relations.Shape}; the {layout.Stream} layout takes {(layout.HasRelations ? layout.RelationShape : "none")}.",
                nameof(relations));
        }

        if (balance is not null && !layout.Takes(balance))
        {
            throw new ArgumentException(
                $"The mass balance model has {balance.Slots} slots; the {layout.Stream} layout takes "
                + (layout.HasBalance ? $"{layout.Featurizer.UnitSlots}." : "none."),
                nameof(balance));
        }

        Layout = layout;
        Standardizer = standardizer;
        Detector = detector;
        Relations = relations;
        Balance = balance;
    }

    /// <summary>Stream, featurizer settings and sequence length.</summary>
    public BundleLayout Layout { get; }

    /// <summary>The input topic this bundle scores.</summary>
    public string Stream => Layout.Stream;

    /// <summary>Per-feature standardisation, applied before windowing.</summary>
    public RunningStandardizer Standardizer { get; }

    /// <summary>The fitted detector.</summary>
    public IAnomalyDetector Detector { get; }

    /// <summary>The relation model that fills the <c>rel</c> features (telemetry), or null.</summary>
    public RelationModel? Relations { get; }

    /// <summary>The mass balance model that fills the <c>bal</c> features (telemetry with <see cref="BundleLayout.HasBalance"/>), or null.</summary>
    public MassBalanceModel? Balance { get; }

    /// <summary>The detector's threshold.</summary>
    public double Threshold => Detector.Threshold;

    /// <summary>A copy whose detector uses <paramref name="threshold"/>.</summary>
    public ModelBundle WithThreshold(double threshold) => new(Layout, Standardizer, Detector.WithThreshold(threshold), Relations, Balance);

    /// <summary>A copy with another detector (same layout, standardizer, relation and mass balance models).</summary>
    public ModelBundle WithDetector(IAnomalyDetector detector) => new(Layout, Standardizer, detector, Relations, Balance);

    /// <summary>A new stateful scorer (one per consumer: it keeps per-entity featurizer and window state).</summary>
    public BundleScorer CreateScorer() => new(this);

    /// <summary>Serializes the bundle (see the remarks for the format).</summary>
    public byte[] Serialize()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            WriteString(writer, Layout.Stream);
            writer.Write(Layout.Measurements.Count);
            foreach (var m in Layout.Measurements) WriteString(writer, m);
            writer.Write(Layout.Featurizer.Window);
            writer.Write(Layout.Featurizer.MaxEntities);
            writer.Write(Layout.Featurizer.ReplayMemory);
            writer.Write(Layout.Featurizer.BaselineAlpha);
            writer.Write(Layout.Featurizer.UnitSlots);
            writer.Write(Layout.Featurizer.RelationResiduals);
            WriteString(writer, Layout.Featurizer.BalanceLevel ?? "");
            WriteString(writer, Layout.Featurizer.BalanceFlow ?? "");
            WriteString(writer, Layout.Featurizer.RelationStates ?? "");
            writer.Write(Layout.SequenceLength);
            writer.Write(Layout.Confirmations);
            var standardizer = Standardizer.Serialize();
            writer.Write(standardizer.Length);
            writer.Write(standardizer);
            var relations = Relations?.Serialize() ?? [];
            writer.Write(relations.Length);
            writer.Write(relations);
            var balance = Balance?.Serialize() ?? [];
            writer.Write(balance.Length);
            writer.Write(balance);
            var detector = Detector.Serialize();
            writer.Write(detector.Length);
            writer.Write(detector);
        }

        var body = stream.ToArray();
        var bytes = new byte[body.Length + 4];
        body.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(body.Length), Crc32.Compute(body));
        return bytes;
    }

    /// <summary>Reads bytes written by <see cref="Serialize"/>.</summary>
    /// <exception cref="ModelFormatException">Not a bundle, an unsupported version, a checksum mismatch, a truncated or inconsistent body, or an invalid inner standardizer/detector blob.</exception>
    public static ModelBundle Deserialize(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 10 || !bytes[..4].SequenceEqual(Magic))
        {
            throw new ModelFormatException($"Not a model bundle: {bytes.Length} bytes without the \"BHMB\" magic.");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]);
        if (version != FormatVersion)
        {
            throw new ModelFormatException($"Model bundle format version {version} is not supported; this build reads version {FormatVersion}.");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes[^4..]) != Crc32.Compute(bytes[..^4]))
        {
            throw new ModelFormatException("Model bundle checksum mismatch: the bytes are corrupted or truncated.");
        }

        using var reader = new BinaryReader(new MemoryStream(bytes[6..^4].ToArray()), Encoding.UTF8);
        try
        {
            var stream = ReadString(reader, "stream");
            var count = reader.ReadInt32();
            if (count is < 0 or > 4096) throw new ModelFormatException($"Model bundle lists {count} measurement names.");
            var measurements = new string[count];
            for (var i = 0; i < count; i++) measurements[i] = ReadString(reader, "measurement name");
            var featurizer = new FeaturizerOptions
            {
                Window = reader.ReadInt32(),
                MaxEntities = reader.ReadInt32(),
                ReplayMemory = reader.ReadInt32(),
                BaselineAlpha = reader.ReadDouble(),
                UnitSlots = reader.ReadInt32(),
                RelationResiduals = reader.ReadBoolean(),
                BalanceLevel = NullIfEmpty(ReadString(reader, "balance level")),
                BalanceFlow = NullIfEmpty(ReadString(reader, "balance flow")),
                RelationStates = NullIfEmpty(ReadString(reader, "relation states")),
            };
            var layout = new BundleLayout
            {
                Stream = stream,
                Measurements = measurements,
                Featurizer = featurizer,
                SequenceLength = reader.ReadInt32(),
                Confirmations = reader.ReadInt32(),
            };
            var standardizer = RunningStandardizer.Deserialize(ReadBlob(reader, "standardizer"));
            var relationBytes = ReadBlob(reader, "relation model");
            var relations = relationBytes.Length == 0 ? null : RelationModel.Deserialize(relationBytes);
            var balanceBytes = ReadBlob(reader, "mass balance model");
            var balance = balanceBytes.Length == 0 ? null : MassBalanceModel.Deserialize(balanceBytes);
            var detector = DetectorSerializer.Deserialize(ReadBlob(reader, "detector"));
            if (reader.BaseStream.Position != reader.BaseStream.Length)
            {
                throw new ModelFormatException($"Model bundle has {reader.BaseStream.Length - reader.BaseStream.Position} unexpected trailing bytes.");
            }

            return new ModelBundle(layout, standardizer, detector, relations, balance);
        }
        catch (EndOfStreamException ex)
        {
            throw new ModelFormatException("Model bundle body is truncated.", ex);
        }
        catch (ArgumentException ex)
        {
            throw new ModelFormatException($"Model bundle is inconsistent: {ex.Message}", ex);
        }
    }

    private static void WriteString(BinaryWriter writer, string value)
    {
        var utf8 = Encoding.UTF8.GetBytes(value);
        if (utf8.Length > ushort.MaxValue) throw new InvalidOperationException($"String of {utf8.Length} bytes is too long for a bundle.");
        writer.Write((ushort)utf8.Length);
        writer.Write(utf8);
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static string ReadString(BinaryReader reader, string field)
    {
        var length = reader.ReadUInt16();
        var utf8 = reader.ReadBytes(length);
        if (utf8.Length != length) throw new ModelFormatException($"Model bundle {field} is truncated.");
        return Encoding.UTF8.GetString(utf8);
    }

    private static byte[] ReadBlob(BinaryReader reader, string field)
    {
        var length = reader.ReadInt32();
        if (length < 0 || length > reader.BaseStream.Length - reader.BaseStream.Position)
        {
            throw new ModelFormatException($"Model bundle {field} length {length} exceeds the remaining bytes.");
        }

        return reader.ReadBytes(length);
    }
}
