namespace Pipeline.Detection;

/// <summary>
/// A NED model as one flat parameter vector — input mean, input scale, ln of the per-feature error weights, lower and
/// upper bounds of the training support, then each layer's weights and biases — so that federated strategies (weighted mean, coordinate-wise median, trimmed mean,
/// Krum) can work on plain float arrays.
/// </summary>
/// <remarks>
/// The error weights (1 / residual variance of each feature, see <see cref="NedOptions.ResidualWeighting"/>) travel in
/// log space: FedAvg of the vector gives their sample-weighted geometric mean, and any aggregate of real numbers
/// (a median, a mean with a poisoned update) still maps to positive weights. The support bounds aggregate as plain
/// values: a sample-weighted mean, a coordinate-wise median or trimmed mean of ordered pairs stays ordered, and Krum
/// keeps one participant's pair.
/// </remarks>
public static class NedParameters
{
    /// <summary>Number of parameters in <paramref name="model"/>'s vector.</summary>
    public static int Count(NedDetector model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return (5 * model.Dimension) + model.Weights.Sum(w => w.Length) + model.Biases.Sum(b => b.Length);
    }

    /// <summary>Copies every parameter of <paramref name="model"/> into a new vector.</summary>
    public static float[] Flatten(NedDetector model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var vector = new float[Count(model)];
        var at = 0;
        Append(model.InputMean, vector, ref at);
        Append(model.InputScale, vector, ref at);
        Append(model.LogErrorWeights, vector, ref at);
        Append(model.Lower, vector, ref at);
        Append(model.Upper, vector, ref at);
        for (var l = 0; l < model.Weights.Length; l++)
        {
            Append(model.Weights[l], vector, ref at);
            Append(model.Biases[l], vector, ref at);
        }

        return vector;
    }

    /// <summary>A model shaped like <paramref name="template"/> with the parameters of <paramref name="vector"/>.</summary>
    /// <exception cref="ArgumentException">The vector length differs from the template's, a value is not finite, or an input scale is not positive.</exception>
    public static NedDetector FromVector(NedDetector template, ReadOnlySpan<float> vector, double threshold, long samples)
    {
        ArgumentNullException.ThrowIfNull(template);
        var expected = Count(template);
        if (vector.Length != expected) throw new ArgumentException($"Expected {expected} NED parameters, got {vector.Length}.", nameof(vector));
        for (var i = 0; i < vector.Length; i++)
        {
            if (!float.IsFinite(vector[i])) throw new ArgumentException($"NED parameter {i} is not finite ({vector[i]}).", nameof(vector));
        }

        var d = template.Dimension;
        var at = 0;
        var mean = Take(vector, d, ref at);
        var scale = Take(vector, d, ref at);
        var logErrorWeights = Take(vector, d, ref at);
        var lower = Take(vector, d, ref at);
        var upper = Take(vector, d, ref at);
        for (var j = 0; j < d; j++)
        {
            if (!(scale[j] > 0)) throw new ArgumentException($"NED input scale {j} must be positive, got {scale[j]}.", nameof(vector));
        }

        var weights = new float[template.Weights.Length][];
        var biases = new float[template.Weights.Length][];
        for (var l = 0; l < weights.Length; l++)
        {
            weights[l] = Take(vector, template.Weights[l].Length, ref at);
            biases[l] = Take(vector, template.Biases[l].Length, ref at);
        }

        return new NedDetector([.. template.LayerSizes], weights, biases, mean, scale, template.Activation, threshold, samples, logErrorWeights, lower, upper);
    }

    /// <summary>
    /// Lengths of the tensors that make up the vector of a NED with <paramref name="layerSizes"/>, in vector order:
    /// input mean, input scale, log error weights, support lower and upper bounds, then weights and biases of each layer
    /// (for per-tensor quantisation).
    /// </summary>
    public static IReadOnlyList<int> Segments(IReadOnlyList<int> layerSizes)
    {
        ArgumentNullException.ThrowIfNull(layerSizes);
        if (layerSizes.Count < 3 || layerSizes[0] != layerSizes[^1] || layerSizes.Any(s => s < 1))
        {
            throw new ArgumentException($"NED layer sizes [{string.Join(", ", layerSizes)}] must have at least 3 positive widths, the last equal to the first.", nameof(layerSizes));
        }

        var segments = new List<int> { layerSizes[0], layerSizes[0], layerSizes[0], layerSizes[0], layerSizes[0] };
        for (var l = 0; l < layerSizes.Count - 1; l++)
        {
            segments.Add(layerSizes[l] * layerSizes[l + 1]);
            segments.Add(layerSizes[l + 1]);
        }

        return segments;
    }

    /// <summary>A NED of the given shape with the parameters of <paramref name="vector"/>.</summary>
    /// <exception cref="ArgumentException">Bad layer sizes, a vector of the wrong length, a non-finite value or a non-positive input scale.</exception>
    public static NedDetector FromVector(IReadOnlyList<int> layerSizes, NedActivation activation, ReadOnlySpan<float> vector, double threshold, long samples)
    {
        var segments = Segments(layerSizes);
        if (!Enum.IsDefined(activation)) throw new ArgumentException($"Unknown NED activation {activation}.", nameof(activation));
        var layers = layerSizes.Count - 1;
        var template = new NedDetector(
            [.. layerSizes],
            [.. Enumerable.Range(0, layers).Select(l => new float[segments[5 + (2 * l)]])],
            [.. Enumerable.Range(0, layers).Select(l => new float[segments[6 + (2 * l)]])],
            new float[layerSizes[0]],
            Enumerable.Repeat(1f, layerSizes[0]).ToArray(),
            activation,
            threshold,
            samples);
        return FromVector(template, vector, threshold, samples);
    }

    private static void Append(float[] source, float[] target, ref int at)
    {
        source.CopyTo(target, at);
        at += source.Length;
    }

    private static float[] Take(ReadOnlySpan<float> source, int length, ref int at)
    {
        var values = source.Slice(at, length).ToArray();
        at += length;
        return values;
    }
}
