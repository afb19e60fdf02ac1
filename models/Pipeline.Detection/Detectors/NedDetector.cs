using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Detection;

/// <summary>
/// NED, the neural encoder-decoder of Block Hunter: a dense autoencoder trained with TorchSharp on standardised rows;
/// score = mean squared reconstruction error of a row in standardised units, each feature weighted by the inverse of
/// its training residual variance when <see cref="NedOptions.ResidualWeighting"/> is on (the default). The network
/// encodes the row clamped to the training support (per-feature Tukey fences, <see cref="NedOptions.SupportFence"/>)
/// and the error is measured against the unclamped row, so a value beyond the support always counts by its excess.
/// </summary>
/// <remarks>
/// The canonical state is plain float arrays (layer weights and biases, input mean and scale), which makes FedAvg a
/// weighted average of arrays and serialization deterministic. Training runs in TorchSharp (each mini-batch inside a
/// dispose scope). Scoring runs the small dense forward pass in managed SIMD code: libtorch's GEMM picks kernels by
/// memory alignment and thread availability, so the same weights gave scores differing in the 7th digit between two
/// module instances, which breaks "round-trip gives identical scores"; the managed pass is deterministic,
/// allocation-free, thread-safe and faster for layers this narrow (see docs/benchmarks-detection.md).
/// Why the support clamp: an autoencoder extrapolates, so a row far outside the training data (dust amounts, a fee
/// at the floor) can be reconstructed "well" along directions the network learned, and attacks present in the
/// unlabelled training window at a low rate become a mode it reconstructs. Encoding the clamped row and comparing with
/// the unclamped one makes the error at least the excess beyond the support. The bounds are stored per feature (in
/// the model's input units, before its own standardisation) and travel in the parameter vector; lower &gt; upper,
/// which only a corrupt aggregate can produce, clamps to upper.
/// </remarks>
public sealed class NedDetector : IAnomalyDetector
{
    // Error weights are stored as logarithms so that every real vector (e.g. an average of updates) is a valid model;
    // the clamp keeps one feature from ruling the score by more than e^±20.
    internal const float MaxLogErrorWeight = 20;

    // Share of training rows per tail that the support may leave out at most (see Support).
    internal const double SupportTail = 0.01;
    private static readonly int Lanes = Vector<float>.Count;

    private readonly int[] _sizes; // input, hidden..., bottleneck, ...hidden, input
    private readonly float[][] _weights; // layer l: sizes[l+1] × sizes[l], row-major (TorchSharp's layout)
    private readonly float[][] _biases;
    private readonly float[] _inputMean;
    private readonly float[] _inputScale;
    private readonly float[] _logErrorWeights; // canonical: ln of each feature's error weight (federated as a vector)
    private readonly float[] _errorWeights; // per-feature weight of the squared reconstruction error, exp(log weight)
    private readonly float[] _lower; // training support per feature (input units): rows are encoded clamped to it
    private readonly float[] _upper;
    private readonly float[][] _transposed; // layer l: sizes[l] rows of padded width, for broadcast-multiply-add
    private readonly float[][] _paddedBiases;
    private readonly int _maxPadded;

    internal NedDetector(int[] sizes, float[][] weights, float[][] biases, float[] inputMean, float[] inputScale, NedActivation activation, double threshold, long samples, float[]? logErrorWeights = null, float[]? lower = null, float[]? upper = null)
    {
        _logErrorWeights = logErrorWeights ?? new float[sizes[0]];
        _lower = lower ?? Enumerable.Repeat(float.MinValue, sizes[0]).ToArray();
        _upper = upper ?? Enumerable.Repeat(float.MaxValue, sizes[0]).ToArray();
        _errorWeights = new float[_logErrorWeights.Length];
        for (var j = 0; j < _errorWeights.Length; j++) _errorWeights[j] = (float)Math.Exp(Math.Clamp(_logErrorWeights[j], -MaxLogErrorWeight, MaxLogErrorWeight));
        _sizes = sizes;
        _weights = weights;
        _biases = biases;
        _inputMean = inputMean;
        _inputScale = inputScale;
        Activation = activation;
        Threshold = threshold;
        TrainingSamples = samples;
        _transposed = new float[weights.Length][];
        _paddedBiases = new float[weights.Length][];
        _maxPadded = Pad(sizes.Max());
        for (var l = 0; l < weights.Length; l++)
        {
            int inputs = sizes[l], outputs = sizes[l + 1], padded = Pad(outputs);
            var t = new float[inputs * padded];
            for (var o = 0; o < outputs; o++)
            {
                for (var i = 0; i < inputs; i++) t[(i * padded) + o] = weights[l][(o * inputs) + i];
            }

            _transposed[l] = t;
            _paddedBiases[l] = new float[padded];
            biases[l].CopyTo(_paddedBiases[l], 0);
        }
    }

    /// <inheritdoc />
    public DetectorKind Kind => DetectorKind.Ned;

    /// <inheritdoc />
    public int Dimension => _sizes[0];

    /// <inheritdoc />
    public double Threshold { get; }

    /// <inheritdoc />
    public long TrainingSamples { get; }

    /// <summary>Hidden activation.</summary>
    public NedActivation Activation { get; }

    /// <summary>Layer widths from input to output.</summary>
    public IReadOnlyList<int> LayerSizes => _sizes;

    internal float[][] Weights => _weights;

    internal float[][] Biases => _biases;

    internal float[] InputMean => _inputMean;

    internal float[] InputScale => _inputScale;

    internal float[] ErrorWeights => _errorWeights;

    internal float[] LogErrorWeights => _logErrorWeights;

    internal float[] Lower => _lower;

    internal float[] Upper => _upper;

    /// <summary>Trains the autoencoder on <paramref name="data"/> and calibrates the threshold on its reconstruction errors.</summary>
    public static NedDetector Fit(FeatureMatrix data, NedOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        options ??= new NedOptions();
        options.Validate();
        var d = data.Columns;
        foreach (var column in options.ResidualColumns)
        {
            if (column >= d) throw new ArgumentException($"Residual column {column} is outside the {d} input columns.", nameof(options));
        }

        var sizes = new List<int> { d };
        sizes.AddRange(options.HiddenLayers);
        for (var i = options.HiddenLayers.Count - 2; i >= 0; i--) sizes.Add(options.HiddenLayers[i]);
        sizes.Add(d);
        var layerSizes = sizes.ToArray();

        var (mean, scale) = Standardisation(data);
        var random = new Random(options.Seed);
        var weights = new float[layerSizes.Length - 1][];
        var biases = new float[layerSizes.Length - 1][];
        for (var l = 0; l < weights.Length; l++)
        {
            // Xavier/Glorot uniform from our own seeded generator, so a seed fixes the model without torch's global RNG.
            var fanIn = layerSizes[l];
            var fanOut = layerSizes[l + 1];
            var limit = Math.Sqrt(6.0 / (fanIn + fanOut));
            weights[l] = new float[fanOut * fanIn];
            for (var i = 0; i < weights[l].Length; i++) weights[l][i] = (float)(((random.NextDouble() * 2) - 1) * limit);
            biases[l] = new float[fanOut];
        }

        var (lower, upper) = Support(data, options.SupportFence);
        var standardised = new float[data.Values.Length];
        Standardise(data.Values, standardised, mean, scale, lower, upper);
        var model = Train(standardised, data.Rows);
        var kept = data;
        for (var round = 0; round < options.TrimIterations && options.TrimFraction > 0; round++)
        {
            // Fit again as if the rows the current model reconstructs worst were not there: the training support from
            // the rows kept (left-out rows no longer stretch it), and the same initial network trained on them.
            kept = data.Select(model.BestReconstructed(data, options.TrimFraction));
            (lower, upper) = Support(kept, options.SupportFence);
            var keptRows = new float[kept.Values.Length];
            Standardise(kept.Values, keptRows, mean, scale, lower, upper);
            model = Train(keptRows, kept.Rows);
        }

        if (options.ResidualWeighting)
        {
            model = new NedDetector(layerSizes, model.Weights, model.Biases, mean, scale, options.Activation, double.PositiveInfinity, data.Rows, model.LogResidualWeights(kept, options.ResidualColumns), lower, upper);
        }

        var threshold = ThresholdCalibrator.FromContamination(ScoreGuard.ScoreAll(model, data), options.Contamination);
        return (NedDetector)model.WithThreshold(threshold);

        // The initial network (left as drawn, so every trimming round starts from it) trained on count standardised rows,
        // with the current support.
        NedDetector Train(float[] rows, int count)
        {
            var trained = weights.Select(w => (float[])w.Clone()).ToArray();
            var trainedBiases = biases.Select(b => (float[])b.Clone()).ToArray();
            TorchTraining.TrainAutoencoder(rows, count, layerSizes, trained, trainedBiases, options, random, cancellationToken);
            return new NedDetector(layerSizes, trained, trainedBiases, mean, scale, options.Activation, double.PositiveInfinity, data.Rows, null, lower, upper);
        }
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Score(ReadOnlySpan<float> rows, Span<float> scores)
    {
        ScoreGuard.Check(rows, scores, Dimension);
        var d = Dimension;
        Span<float> bufferA = _maxPadded <= 512 ? stackalloc float[_maxPadded] : new float[_maxPadded];
        Span<float> bufferB = _maxPadded <= 512 ? stackalloc float[_maxPadded] : new float[_maxPadded];
        Span<float> input = d <= 512 ? stackalloc float[d] : new float[d];
        Span<float> standardised = d <= 512 ? stackalloc float[d] : new float[d];
        for (var r = 0; r < scores.Length; r++)
        {
            var output = Reconstruct(rows.Slice(r * d, d), standardised, input, bufferA, bufferB);
            float error = 0;
            for (var j = 0; j < d; j++)
            {
                // Against the unclamped row: a value beyond the training support counts by its excess.
                var diff = output[j] - standardised[j];
                error += diff * diff * _errorWeights[j];
            }

            scores[r] = error / d;
        }
    }

    // Standardises x into standardised, and x clamped to the training support into input, runs the layers on input and
    // returns the reconstruction (a slice of one of the buffers).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ReadOnlySpan<float> Reconstruct(ReadOnlySpan<float> x, Span<float> standardised, Span<float> input, Span<float> bufferA, Span<float> bufferB)
    {
        var j = 0;
        for (; j <= x.Length - Lanes; j += Lanes)
        {
            var row = new Vector<float>(x[j..]);
            var mean = new Vector<float>(_inputMean, j);
            var scale = new Vector<float>(_inputScale, j);
            ((row - mean) / scale).CopyTo(standardised[j..]);
            var clamped = Vector.Min(Vector.Max(row, new Vector<float>(_lower, j)), new Vector<float>(_upper, j));
            ((clamped - mean) / scale).CopyTo(input[j..]);
        }

        for (; j < x.Length; j++)
        {
            standardised[j] = (x[j] - _inputMean[j]) / _inputScale[j];
            input[j] = (Math.Min(Math.Max(x[j], _lower[j]), _upper[j]) - _inputMean[j]) / _inputScale[j];
        }
        ReadOnlySpan<float> current = input;
        var useA = true;
        for (var l = 0; l < _transposed.Length; l++)
        {
            var output = (useA ? bufferA : bufferB)[.._paddedBiases[l].Length];
            Layer(current[.._sizes[l]], _transposed[l], _paddedBiases[l], output, activate: l < _transposed.Length - 1, Activation);
            current = output;
            useA = !useA;
        }

        return current;
    }

    // Indices (ascending) of the rows of data a trimming round keeps: all but the (int)(trim · rows) this model
    // reconstructs worst, as PCA-Mahalanobis trims.
    internal int[] BestReconstructed(FeatureMatrix data, double trim)
    {
        var errors = new float[data.Rows];
        Score(data.Values, errors);
        return ScoreQuantile.LowestScores(errors, data.Rows - (int)(trim * data.Rows));
    }

    // ln of 1 / (residual variance + ε) per feature on the training rows, the weights scaled to mean 1: features the
    // network reconstructs tightly (physical constraints) weigh more than features it cannot predict (noise). The
    // residual is taken within the support (reconstruction of the clamped row against it), so training rows beyond it
    // do not inflate the variance of the features they exceed and weaken their weight. Residual columns (already
    // residuals of another model, NedOptions.ResidualColumns) weigh 1, as the average of the others.
    internal float[] LogResidualWeights(FeatureMatrix data, IReadOnlyList<int> residualColumns)
    {
        var d = Dimension;
        var sum = new double[d];
        var bufferA = new float[_maxPadded];
        var bufferB = new float[_maxPadded];
        var input = new float[d];
        var standardised = new float[d];
        for (var r = 0; r < data.Rows; r++)
        {
            var output = Reconstruct(data.Row(r), standardised, input, bufferA, bufferB);
            for (var j = 0; j < d; j++)
            {
                double diff = output[j] - input[j];
                sum[j] += diff * diff;
            }
        }

        var variance = sum.Select(v => v / data.Rows).ToArray();
        var epsilon = Math.Max(1e-3 * variance.Average(), 1e-9);
        var weights = variance.Select(v => 1 / (v + epsilon)).ToArray();
        var residual = new bool[d];
        foreach (var column in residualColumns) residual[column] = true;
        var mean = weights.Where((_, j) => !residual[j]).DefaultIfEmpty(1).Average();
        return weights.Select((w, j) => residual[j] ? 0f : (float)Math.Log(w / mean)).ToArray();
    }

    /// <inheritdoc />
    public IAnomalyDetector WithThreshold(double threshold) =>
        new NedDetector(_sizes, _weights, _biases, _inputMean, _inputScale, Activation, threshold, TrainingSamples, _logErrorWeights, _lower, _upper);

    /// <inheritdoc />
    public byte[] Serialize() => DetectorSerializer.Write(new ModelHeader(Kind, Dimension, Threshold, TrainingSamples), w =>
    {
        w.Write((byte)Activation);
        w.WriteInts(_sizes);
        w.WriteFloats(_inputMean);
        w.WriteFloats(_inputScale);
        w.WriteFloats(_logErrorWeights);
        w.WriteFloats(_lower);
        w.WriteFloats(_upper);
        for (var l = 0; l < _weights.Length; l++)
        {
            w.WriteFloats(_weights[l]);
            w.WriteFloats(_biases[l]);
        }
    });

    internal static NedDetector ReadPayload(ModelHeader header, BinaryReader reader)
    {
        var activation = (NedActivation)reader.ReadByte();
        if (!Enum.IsDefined(activation)) throw new ModelFormatException($"Unknown NED activation {(byte)activation}.");
        var sizes = reader.ReadInts();
        if (sizes.Length < 3 || sizes[0] != header.Dimension || sizes[^1] != header.Dimension || sizes.Any(s => s < 1))
        {
            throw new ModelFormatException($"NED layer sizes [{string.Join(", ", sizes)}] do not fit dimension {header.Dimension}.");
        }

        var mean = reader.ReadFloats(header.Dimension);
        var scale = reader.ReadFloats(header.Dimension);
        var logErrorWeights = reader.ReadFloats(header.Dimension);
        var lower = reader.ReadFloats(header.Dimension);
        var upper = reader.ReadFloats(header.Dimension);
        var weights = new float[sizes.Length - 1][];
        var biases = new float[sizes.Length - 1][];
        for (var l = 0; l < weights.Length; l++)
        {
            weights[l] = reader.ReadFloats(sizes[l] * sizes[l + 1]);
            biases[l] = reader.ReadFloats(sizes[l + 1]);
        }

        return new NedDetector(sizes, weights, biases, mean, scale, activation, header.Threshold, header.TrainingSamples, logErrorWeights, lower, upper);
    }

    private static int Pad(int width) => (width + Lanes - 1) / Lanes * Lanes;

    // output = activation(bias + Σᵢ input[i] · Wᵀ[i, :]), vectorised over the (padded) output width. Up to four output
    // vectors are accumulated in registers across the whole input (instead of a load and store of the output per input
    // element); each output element still gets bias + w₀x₀ + w₁x₁ + … in input order with separate multiply and add, so
    // the result is the same bits.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Layer(ReadOnlySpan<float> input, float[] transposed, float[] bias, Span<float> output, bool activate, NedActivation activation)
    {
        var padded = output.Length;
        var outputVectors = MemoryMarshal.Cast<float, Vector<float>>(output);
        var biasVectors = MemoryMarshal.Cast<float, Vector<float>>(bias.AsSpan(0, padded));
        var weightVectors = MemoryMarshal.Cast<float, Vector<float>>(transposed.AsSpan());
        var perRow = padded / Lanes;
        var v = 0;
        for (; v + 4 <= perRow; v += 4)
        {
            Vector<float> a0 = biasVectors[v], a1 = biasVectors[v + 1], a2 = biasVectors[v + 2], a3 = biasVectors[v + 3];
            for (var i = 0; i < input.Length; i++)
            {
                var xi = new Vector<float>(input[i]);
                var row = weightVectors.Slice((i * perRow) + v, 4);
                a0 += row[0] * xi;
                a1 += row[1] * xi;
                a2 += row[2] * xi;
                a3 += row[3] * xi;
            }

            outputVectors[v] = a0;
            outputVectors[v + 1] = a1;
            outputVectors[v + 2] = a2;
            outputVectors[v + 3] = a3;
        }

        for (; v < perRow; v++)
        {
            var a = biasVectors[v];
            for (var i = 0; i < input.Length; i++) a += weightVectors[(i * perRow) + v] * new Vector<float>(input[i]);
            outputVectors[v] = a;
        }

        if (!activate) return;
        if (activation == NedActivation.Relu)
        {
            for (var u = 0; u < perRow; u++) outputVectors[u] = Vector.Max(outputVectors[u], Vector<float>.Zero);
        }
        else
        {
            for (var u = 0; u < perRow; u++)
            {
                outputVectors[u] = VectorTanh.Tanh(outputVectors[u]);
            }
        }
    }

    private static (float[] Mean, float[] Scale) Standardisation(FeatureMatrix data)
    {
        var d = data.Columns;
        var mean = new double[d];
        var m2 = new double[d];
        for (var r = 0; r < data.Rows; r++)
        {
            var row = data.Row(r);
            for (var j = 0; j < d; j++)
            {
                var delta = row[j] - mean[j];
                mean[j] += delta / (r + 1);
                m2[j] += delta * (row[j] - mean[j]);
            }
        }

        var scale = new float[d];
        for (var j = 0; j < d; j++)
        {
            var std = data.Rows > 1 ? Math.Sqrt(m2[j] / (data.Rows - 1)) : 0;
            scale[j] = std > 1e-9 ? (float)std : 1f; // a constant feature keeps unit scale instead of dividing by zero
        }

        return (mean.Select(m => (float)m).ToArray(), scale);
    }

    // Rows clamped to [lower, upper] per feature, then standardised: the training input the network sees.
    internal static void Standardise(ReadOnlySpan<float> source, Span<float> target, float[] mean, float[] scale, float[] lower, float[] upper)
    {
        var d = mean.Length;
        for (var i = 0; i < source.Length; i++)
        {
            var j = i % d;
            target[i] = (Math.Min(Math.Max(source[i], lower[j]), upper[j]) - mean[j]) / scale[j];
        }
    }

    // Tukey's fences [Q1 − k·IQR, Q3 + k·IQR] of each column (quantiles with NumPy's linear interpolation), widened to
    // the 1st and 99th percentiles where those lie further out (a heavy-tailed feature keeps at least 98 % of its
    // training rows inside); a column with IQR = 0 is left unbounded (float.MinValue/MaxValue, finite so that the
    // bounds federate as plain numbers), as is every column when k is infinite.
    internal static (float[] Lower, float[] Upper) Support(FeatureMatrix data, double k)
    {
        var d = data.Columns;
        var lower = new float[d];
        var upper = new float[d];
        var column = new float[data.Rows];
        for (var j = 0; j < d; j++)
        {
            for (var r = 0; r < data.Rows; r++) column[r] = data.Values[(r * d) + j];
            var q1 = ScoreQuantile.Quantile(column, 0.25);
            var q3 = ScoreQuantile.Quantile(column, 0.75);
            var iqr = q3 - q1;
            if (!(iqr > 0) || double.IsPositiveInfinity(k))
            {
                lower[j] = float.MinValue;
                upper[j] = float.MaxValue;
                continue;
            }

            var low = Math.Min(q1 - (k * iqr), ScoreQuantile.Quantile(column, SupportTail));
            var high = Math.Max(q3 + (k * iqr), ScoreQuantile.Quantile(column, 1 - SupportTail));
            lower[j] = (float)Math.Max(low, float.MinValue);
            upper[j] = (float)Math.Min(high, float.MaxValue);
        }

        return (lower, upper);
    }
}
