using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Processing.Scoring;

/// <summary>Turns a <see cref="GlobalModel"/> record into a scoring model.</summary>
public static class ScoringModelDecoder
{
    /// <summary>Decodes the <see cref="ModelBundle"/> in <paramref name="model"/>.</summary>
    /// <exception cref="ModelFormatException">The bytes are not a valid bundle, or the bundle's stream
    /// contradicts the record's stream.</exception>
    public static IScoringModel Decode(GlobalModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var bundle = ModelBundle.Deserialize(model.Model);
        if (!Applies(model.Stream, bundle.Stream))
        {
            throw new ModelFormatException($"global model {model.ModelName} v{model.Version} says stream '{model.Stream}' but its bundle scores '{bundle.Stream}'");
        }
        if (!double.IsFinite(model.Threshold))
        {
            throw new ModelFormatException($"global model {model.ModelName} v{model.Version} has a non-finite threshold {model.Threshold}");
        }
        return new BundleScoringModel(bundle, model.Version, model.Threshold);
    }

    /// <summary>Whether <paramref name="model"/> is a federation candidate still awaiting threshold calibration (metric
    /// <c>calibrated</c> = 0, see fl-coordinator's Federation:Calibration): participants score it, processors must not.</summary>
    public static bool IsUncalibratedCandidate(GlobalModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Metrics.Any(m => m.Name == "calibrated" && m.Value == 0);
    }

    /// <summary>Whether a GlobalModel.Stream value ("chain", "iiot" or a topic) covers a catalogue topic.</summary>
    public static bool Applies(string declaredStream, string catalogueTopic) =>
        declaredStream == catalogueTopic || ScoredStreams.TopicsOf(declaredStream).Contains(catalogueTopic);
}
