namespace Pipeline.Detection;

/// <summary>
/// A NED model as one flat parameter vector — input mean, input scale, then each layer's weights and biases — so that
/// federated strategies (weighted mean, coordinate-wise median, trimmed mean, Krum) can work on plain float arrays.
/// </summary>
public static class NedParameters
{
    /// <summary>Number of parameters in <paramref name="model"/>'s vector.</summary>
    public static int Count(NedDetector model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return (2 * model.Dimension) + model.Weights.Sum(w => w.Length) + model.Biases.Sum(b => b.Length);
    }

    /// <summary>Copies every parameter of <paramref name="model"/> into a new vector.</summary>
    public static float[] Flatten(NedDetector model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var vector = new float[Count(model)];
        var at = 0;
        Append(model.InputMean, vector, ref at);
        Append(model.InputScale, vector, ref at);
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

        return new NedDetector([.. template.LayerSizes], weights, biases, mean, scale, template.Activation, threshold, samples);
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
