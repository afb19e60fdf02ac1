using System.Text;
using Pipeline.Detection;

namespace Pipeline.Federation;

/// <summary>
/// The content of <c>ModelUpdate.Parameters</c>: optionally the participant's local feature standardizer and, for
/// telemetry, its relation model's sufficient statistics and its mass balance model (only in a round whose base version
/// is 0, when the federation still has to learn them), and either a NED parameter vector —
/// compressed, and encoded as the difference to the base model's vector when there is a base — or, for the other
/// detectors, the serialized locally refitted detector.
/// </summary>
/// <remarks>
/// Format: magic "BHFU", version (u8), detector kind (u8), flags (u8: 1 standardizer, 2 NED vector, 4 delta to base,
/// 8 relation model, 16 mass balance model), [standardizer: i32 length + blob], [relation model: i32 length + blob],
/// [mass balance model: i32 length + blob], then for NED: activation (u8), layer count (i32) and widths (i32 each), encoded
/// length (i32) + <see cref="ParameterCodec"/> bytes; otherwise detector length (i32) + blob. Integrity comes from the
/// participant's signature over the whole update.
/// </remarks>
public sealed class UpdatePayload
{
    private const byte Version = 1;
    private const byte HasStandardizer = 1;
    private const byte IsNedVector = 2;
    private const byte IsDelta = 4;
    private const byte HasRelations = 8;
    private const byte HasBalance = 16;
    private static readonly byte[] Magic = "BHFU"u8.ToArray();

    private UpdatePayload(DetectorKind kind, RunningStandardizer? standardizer, IReadOnlyList<int>? layerSizes, NedActivation activation, float[]? vector, byte[]? detector,
        RelationModel? relations = null, MassBalanceModel? balance = null)
    {
        Kind = kind;
        Standardizer = standardizer;
        Relations = relations;
        Balance = balance;
        LayerSizes = layerSizes;
        Activation = activation;
        Vector = vector;
        DetectorBytes = detector;
    }

    /// <summary>The detector family.</summary>
    public DetectorKind Kind { get; }

    /// <summary>The local standardizer, sent only when the round has no base model.</summary>
    public RunningStandardizer? Standardizer { get; }

    /// <summary>The local relation model (telemetry), sent only when the round has no base model.</summary>
    public RelationModel? Relations { get; }

    /// <summary>The local mass balance model (telemetry with the balance), sent only when the round has no base model.</summary>
    public MassBalanceModel? Balance { get; }

    /// <summary>NED layer widths (NED only).</summary>
    public IReadOnlyList<int>? LayerSizes { get; }

    /// <summary>NED activation (NED only).</summary>
    public NedActivation Activation { get; }

    /// <summary>The absolute NED parameter vector (after decoding; NED only).</summary>
    public float[]? Vector { get; }

    /// <summary>Serialized non-NED detector.</summary>
    public byte[]? DetectorBytes { get; }

    /// <summary>What an accepted calibration report carries: no parameters, only the kind of the model it scored.</summary>
    internal static UpdatePayload CalibrationReport(DetectorKind kind) => new(kind, null, null, default, null, null);

    /// <summary>A payload carrying <paramref name="model"/>'s parameter vector.</summary>
    public static UpdatePayload ForNed(NedDetector model, RunningStandardizer? standardizer, RelationModel? relations = null, MassBalanceModel? balance = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new(DetectorKind.Ned, standardizer, [.. model.LayerSizes], model.Activation, NedParameters.Flatten(model), null, relations, balance);
    }

    /// <summary>A payload carrying a serialized detector (any kind; NED is better sent with <see cref="ForNed"/>).</summary>
    public static UpdatePayload ForDetector(IAnomalyDetector detector, RunningStandardizer? standardizer, RelationModel? relations = null, MassBalanceModel? balance = null)
    {
        ArgumentNullException.ThrowIfNull(detector);
        return detector is NedDetector ned ? ForNed(ned, standardizer, relations, balance) : new(detector.Kind, standardizer, null, default, null, detector.Serialize(), relations, balance);
    }

    /// <summary>The NED model this payload describes (NED only).</summary>
    /// <exception cref="InvalidOperationException">Not a NED payload.</exception>
    public NedDetector ToNed(double threshold, long samples)
    {
        if (Vector is null || LayerSizes is null) throw new InvalidOperationException($"A {Kind} payload has no NED vector.");
        return NedParameters.FromVector(LayerSizes, Activation, Vector, threshold, samples);
    }

    /// <summary>Encodes the payload; a NED vector is written as the difference to <paramref name="baseVector"/> when one is given.</summary>
    public byte[] Encode(UpdateCompression compression, float[]? baseVector)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write((byte)Kind);
            var delta = Vector is not null && baseVector is not null;
            w.Write((byte)((Standardizer is null ? 0 : HasStandardizer) | (Vector is null ? 0 : IsNedVector) | (delta ? IsDelta : 0) | (Relations is null ? 0 : HasRelations) | (Balance is null ? 0 : HasBalance)));
            if (Standardizer is not null) WriteBlob(w, Standardizer.Serialize());
            if (Relations is not null) WriteBlob(w, Relations.Serialize());
            if (Balance is not null) WriteBlob(w, Balance.Serialize());
            if (Vector is not null)
            {
                w.Write((byte)Activation);
                w.Write(LayerSizes!.Count);
                foreach (var s in LayerSizes) w.Write(s);
                var values = Vector;
                if (delta)
                {
                    if (baseVector!.Length != Vector.Length) throw new ArgumentException($"The base vector has {baseVector.Length} values, the update {Vector.Length}.", nameof(baseVector));
                    values = new float[Vector.Length];
                    for (var i = 0; i < values.Length; i++) values[i] = Vector[i] - baseVector[i];
                }

                w.Write((byte)compression);
                WriteBlob(w, ParameterCodec.Encode(values, NedParameters.Segments(LayerSizes), compression));
            }
            else
            {
                WriteBlob(w, DetectorBytes!);
            }
        }

        return stream.ToArray();
    }

    /// <summary>Decodes a payload; a delta-encoded NED vector is added to <paramref name="baseVector"/>.</summary>
    /// <exception cref="FormatException">Anything malformed, named: magic, version, flags, truncation, inner blobs, compression mismatch, a delta without a known base.</exception>
    public static UpdatePayload Decode(ReadOnlySpan<byte> bytes, UpdateCompression expectedCompression, float[]? baseVector)
    {
        if (bytes.Length < 7 || !bytes[..4].SequenceEqual(Magic)) throw new FormatException("The update parameters are not a BHFU payload.");
        using var r = new BinaryReader(new MemoryStream(bytes.ToArray()), Encoding.UTF8);
        try
        {
            r.ReadBytes(4);
            var version = r.ReadByte();
            if (version != Version) throw new FormatException($"Update payload version {version} is not supported (expected {Version}).");
            var kind = (DetectorKind)r.ReadByte();
            if (!Enum.IsDefined(kind)) throw new FormatException($"Unknown detector kind {(byte)kind} in the update payload.");
            var flags = r.ReadByte();
            if ((flags & ~31) != 0) throw new FormatException($"Unknown payload flags 0x{flags:x2}.");
            var standardizer = (flags & HasStandardizer) != 0 ? RunningStandardizer.Deserialize(ReadBlob(r, "standardizer")) : null;
            var relations = (flags & HasRelations) != 0 ? RelationModel.Deserialize(ReadBlob(r, "relation model")) : null;
            var balance = (flags & HasBalance) != 0 ? MassBalanceModel.Deserialize(ReadBlob(r, "mass balance model")) : null;
            UpdatePayload result;
            if ((flags & IsNedVector) != 0)
            {
                var activation = (NedActivation)r.ReadByte();
                var layers = r.ReadInt32();
                if (layers is < 3 or > 64) throw new FormatException($"A NED with {layers} layer widths is not plausible.");
                var sizes = new int[layers];
                for (var i = 0; i < layers; i++) sizes[i] = r.ReadInt32();
                var segments = NedParameters.Segments(sizes);
                var compression = (UpdateCompression)r.ReadByte();
                if (compression != expectedCompression)
                {
                    throw new FormatException($"The vector is {ParameterCodec.NameOf(compression)}-encoded but the update says {ParameterCodec.NameOf(expectedCompression)}.");
                }

                var values = ParameterCodec.Decode(ReadBlob(r, "NED vector"), segments, compression);
                if ((flags & IsDelta) != 0)
                {
                    if (baseVector is null) throw new FormatException("The NED vector is a delta to a base model the coordinator does not have.");
                    if (baseVector.Length != values.Length) throw new FormatException($"The delta has {values.Length} values; the base model has {baseVector.Length}.");
                    for (var i = 0; i < values.Length; i++) values[i] += baseVector[i];
                }

                result = new UpdatePayload(kind, standardizer, sizes, activation, values, null, relations, balance);
            }
            else
            {
                result = new UpdatePayload(kind, standardizer, null, default, null, ReadBlob(r, "detector"), relations, balance);
            }

            if (r.BaseStream.Position != r.BaseStream.Length) throw new FormatException($"{r.BaseStream.Length - r.BaseStream.Position} trailing bytes after the update payload.");
            return result;
        }
        catch (EndOfStreamException ex)
        {
            throw new FormatException("The update payload is truncated.", ex);
        }
        catch (Exception ex) when (ex is ModelFormatException or ArgumentException)
        {
            throw new FormatException($"The update payload is invalid: {ex.Message}", ex);
        }
    }

    private static void WriteBlob(BinaryWriter w, byte[] blob)
    {
        w.Write(blob.Length);
        w.Write(blob);
    }

    private static byte[] ReadBlob(BinaryReader r, string what)
    {
        var length = r.ReadInt32();
        if (length < 0 || length > r.BaseStream.Length - r.BaseStream.Position) throw new FormatException($"The {what} length {length} exceeds the payload.");
        return r.ReadBytes(length);
    }
}
