using Pipeline.Detection;

namespace Pipeline.Federation.Tests;

public sealed class ParameterCodecUnitTests
{
    private static readonly int[] Segments = [3, 5];
    private static readonly float[] Values = [0.5f, -1.25f, 3f, 0.001f, -0.02f, 0.3f, 0f, 0.0155f];

    [Fact]
    public void None_RoundTrip_IsExact()
    {
        var bytes = ParameterCodec.Encode(Values, Segments, UpdateCompression.None);

        Assert.Equal(32, bytes.Length);
        Assert.Equal(Values, ParameterCodec.Decode(bytes, Segments, UpdateCompression.None));
    }

    [Fact]
    public void Float16_RoundTrip_HalfTheBytesAndSmallRelativeError()
    {
        var bytes = ParameterCodec.Encode(Values, Segments, UpdateCompression.Float16);
        var decoded = ParameterCodec.Decode(bytes, Segments, UpdateCompression.Float16);

        Assert.Equal(16, bytes.Length);
        for (var i = 0; i < Values.Length; i++) Assert.True(Math.Abs(decoded[i] - Values[i]) <= (Math.Abs(Values[i]) * 1e-3) + 1e-6);
    }

    [Fact]
    public void Int8_RoundTrip_ErrorAtMostHalfThePerTensorScale()
    {
        var bytes = ParameterCodec.Encode(Values, Segments, UpdateCompression.Int8);
        var decoded = ParameterCodec.Decode(bytes, Segments, UpdateCompression.Int8);

        Assert.Equal(8 + (4 * 2), bytes.Length);
        var scales = new[] { 3f / 127, 0.3f / 127 };
        for (var i = 0; i < Values.Length; i++) Assert.True(Math.Abs(decoded[i] - Values[i]) <= (scales[i < 3 ? 0 : 1] / 2) + 1e-7, $"value {i}");
    }

    [Fact]
    public void Decode_WrongLength_ThrowsNamingBothLengths()
    {
        var error = Assert.Throws<FormatException>(() => ParameterCodec.Decode(new byte[7], Segments, UpdateCompression.Int8));

        Assert.Contains("needs 16 bytes, got 7", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownName_Throws()
    {
        Assert.Throws<FormatException>(() => ParameterCodec.Parse("zstd"));
        Assert.Equal(UpdateCompression.Int8, ParameterCodec.Parse("INT8"));
    }

    [Fact]
    public void UpdatePayload_NedDeltaInt8_DecodesCloseToTheLocalVector()
    {
        var layout = ScenarioData.IiotLayout();
        var readings = ScenarioData.Telemetry(1, 300, seed: 5)["c01"].Select(r => r.Reading).ToList();
        var events = BundleTrainer.Featurize(layout, readings);
        var bundle = BundleTrainer.Fit(layout, events, ScenarioData.SmallNed(epochs: 1));
        var start = (NedDetector)bundle.Detector;
        var local = BundleTrainer.ContinueNed(start, events.WithRelations(bundle.Relations).ToInputs(bundle.Standardizer), ScenarioData.SmallNed(epochs: 2));
        var baseVector = NedParameters.Flatten(start);

        var bytes = UpdatePayload.ForNed(local, null).Encode(UpdateCompression.Int8, baseVector);
        var decoded = UpdatePayload.Decode(bytes, UpdateCompression.Int8, baseVector);

        var exact = NedParameters.Flatten(local);
        Assert.Equal(exact.Length, decoded.Vector!.Length);
        Assert.True(AggregationMath.Distance(exact, decoded.Vector) < 0.05 * AggregationMath.Distance(exact, baseVector) + 1e-4);
        Assert.True(bytes.Length < 0.3 * 4 * exact.Length);
        Assert.Throws<FormatException>(() => UpdatePayload.Decode(bytes, UpdateCompression.Int8, baseVector: null));
        Assert.Throws<FormatException>(() => UpdatePayload.Decode(bytes, UpdateCompression.Float16, baseVector));
    }
}
