using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Federation.Tests;

/// <summary>
/// Compressed NED updates through the coordinator's rounds (<see cref="LocalRounds"/>). A bootstrap update carries
/// absolute values, among them the unbounded training support of the default NedSupportFence (float.MinValue/MaxValue,
/// beyond float16's range and, next to small bounds, beyond int8's per-tensor scale), so it travels uncompressed; the
/// later rounds' deltas to the global model are compressed.
/// </summary>
public sealed class CompressedRoundsUnitTests
{
    private static readonly Dictionary<string, List<DeviceReading>> Windows =
        ScenarioData.Telemetry(clusters: 3, count: 600, seed: 9).ToDictionary(p => p.Key, p => p.Value.Select(r => r.Reading).ToList());

    private static FederationOptions Options(string compression) =>
        new() { ModelName = "compressed", HiddenLayers = "8,2", LocalEpochs = 1, MinParticipants = 3, Compression = compression };

    private static (RoundResult First, RoundResult Second, NedDetector Bootstrap) TwoRounds(string compression)
    {
        var options = Options(compression);
        using var rounds = new LocalRounds(options, Windows);
        var first = rounds.Round(options.CreateStrategy());
        Assert.True(first.Status == RoundStatus.Published, $"{compression} bootstrap {Describe(first)}");
        var bootstrap = (NedDetector)rounds.Global!.Detector;
        var second = rounds.Round(options.CreateStrategy());
        Assert.True(second.Status == RoundStatus.Published, $"{compression} second round {Describe(second)}");
        return (first, second, bootstrap);
    }

    // The lower and upper bounds of the training support, from the parameter vector's layout (NedParameters).
    private static float[] Support(NedDetector model) => NedParameters.Flatten(model)[(3 * model.Dimension)..(5 * model.Dimension)];

    private static string Describe(RoundResult result) => $"{result.Status} {result.Reason}: {string.Join("; ", result.Rejected.Select(r => $"{r.Reason} {r.Detail}"))}";

    [Theory]
    [InlineData("float16", 0.6)]
    [InlineData("int8", 0.35)]
    public void Rounds_CompressedNed_BootstrapKeepsTheSupportAndLaterDeltasAreCompressed(string compression, double byteRatio)
    {
        var (plainFirst, plainSecond, plain) = TwoRounds("none");
        var (first, second, compressed) = TwoRounds(compression);

        var plainSupport = Support(plain);
        Assert.Contains(float.MinValue, plainSupport); // the default fence leaves columns unbounded
        Assert.Equal(plainSupport, Support(compressed));
        Assert.Equal(plainFirst.ParameterBytesAccepted, first.ParameterBytesAccepted);
        Assert.True(second.ParameterBytesAccepted < byteRatio * plainSecond.ParameterBytesAccepted,
            $"{compression} deltas {second.ParameterBytesAccepted} B against {plainSecond.ParameterBytesAccepted} B uncompressed");
    }
}
