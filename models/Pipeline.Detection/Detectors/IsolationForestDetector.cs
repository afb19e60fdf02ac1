using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Pipeline.Detection;

/// <summary>
/// Isolation Forest (Liu, Ting, Zhou 2008): random axis-parallel splits isolate anomalies in short paths.
/// Score s(x) = 2^(−E[h(x)] / c(ψ)), where h is the path length (plus c(size) at a leaf holding several rows) and
/// c(n) = 2H(n−1) − 2(n−1)/n the average unsuccessful-search path length of a binary search tree.
/// </summary>
/// <remarks>
/// Trees are stored as flat node arrays (the serialized form) and packed into one 16-byte record per node for scoring
/// (a leaf points to itself), which walks blocks of rows tree by tree, level by level, so a tree stays in the L1 cache,
/// the rows' walks overlap and the left/right choice is a compare mask rather than a branch; scoring does not allocate.
/// The threshold is calibrated on <see cref="CalibrationSampleSize"/> evenly spaced training rows: enough that about
/// <see cref="CalibrationTailRows"/> of them are expected above the contamination quantile, all rows when contamination
/// is 0. Federation merges trees sampled from each participant's forest in proportion to its sample count
/// (<see cref="FederatedAggregator"/>). The fitting loops are compiled fully optimised on first call
/// (<see cref="MethodImplOptions.AggressiveOptimization"/>): a model is fitted once, so tiered JIT would run much of
/// a fit in unoptimised tier-0 code.
/// </remarks>
public sealed class IsolationForestDetector : IAnomalyDetector
{
    // Node layout, one entry per node in flat arrays: _feature < 0 marks a leaf whose _value is depth + c(size);
    // for an inner node _value is the split point and _left/_right hold child indices (absolute).
    private readonly int[] _feature;
    private readonly float[] _value;
    private readonly int[] _left;
    private readonly int[] _right;
    private readonly int[] _roots;
    private readonly int[] _treeNodeCounts;
    private readonly int[] _treeDepths;
    private readonly Node[] _nodes;
    private readonly float[] _leafValues;

    /// <summary>
    /// Training rows expected above the threshold in the calibration sample: with n·c = 400 the share of rows above
    /// the estimated (1 − c) quantile has a relative standard error of √((1 − c)/(n·c)) ≤ 5 %.
    /// </summary>
    public const int CalibrationTailRows = 400;

    private const int RowBlock = 64;

    private IsolationForestDetector(int dimension, int subsampleSize, int[] feature, float[] value, int[] left, int[] right, int[] treeNodeCounts, double threshold, long samples)
    {
        Dimension = dimension;
        SubsampleSize = subsampleSize;
        _feature = feature;
        _value = value;
        _left = left;
        _right = right;
        _treeNodeCounts = treeNodeCounts;
        _roots = new int[treeNodeCounts.Length];
        var offset = 0;
        for (var t = 0; t < treeNodeCounts.Length; t++)
        {
            _roots[t] = offset;
            offset += treeNodeCounts[t];
        }

        Threshold = threshold;
        TrainingSamples = samples;
        Normaliser = AveragePathLength(subsampleSize);
        // Scoring form: a leaf becomes a node that points to itself on both sides (feature 0), so every row of a block
        // can take the same number of steps through a tree without testing for leaves; leaf values sit apart.
        _nodes = new Node[feature.Length];
        _leafValues = new float[feature.Length];
        for (var i = 0; i < feature.Length; i++)
        {
            if (feature[i] < 0)
            {
                _nodes[i] = new Node(0, 0, i, i);
                _leafValues[i] = value[i];
            }
            else
            {
                _nodes[i] = new Node(value[i], feature[i], left[i], right[i]);
            }
        }

        _treeDepths = new int[treeNodeCounts.Length];
        for (var t = 0; t < _treeDepths.Length; t++) _treeDepths[t] = Depth(_nodes, _roots[t], treeNodeCounts[t]);
    }

    // Same forest, other threshold: shares the (immutable) node arrays and their scoring form.
    private IsolationForestDetector(IsolationForestDetector source, double threshold)
    {
        Dimension = source.Dimension;
        SubsampleSize = source.SubsampleSize;
        _feature = source._feature;
        _value = source._value;
        _left = source._left;
        _right = source._right;
        _treeNodeCounts = source._treeNodeCounts;
        _roots = source._roots;
        _nodes = source._nodes;
        _leafValues = source._leafValues;
        _treeDepths = source._treeDepths;
        Threshold = threshold;
        TrainingSamples = source.TrainingSamples;
        Normaliser = source.Normaliser;
    }

    /// <inheritdoc />
    public DetectorKind Kind => DetectorKind.IsolationForest;

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public double Threshold { get; }

    /// <inheritdoc />
    public long TrainingSamples { get; }

    /// <summary>ψ, the subsample size each tree was grown on.</summary>
    public int SubsampleSize { get; }

    /// <summary>Number of trees.</summary>
    public int TreeCount => _roots.Length;

    private double Normaliser { get; }

    /// <summary>
    /// Number of training rows scored to calibrate the threshold for <paramref name="contamination"/>:
    /// ⌈<see cref="CalibrationTailRows"/> / contamination⌉, at most <paramref name="rows"/>; all rows when contamination
    /// is 0 (the threshold is then the largest training score).
    /// </summary>
    public static int CalibrationSampleSize(int rows, double contamination) =>
        contamination > 0 ? (int)Math.Min(rows, Math.Ceiling(CalibrationTailRows / contamination)) : rows;

    /// <summary>Grows the forest on <paramref name="data"/> and calibrates the threshold on its scores.</summary>
    public static IsolationForestDetector Fit(FeatureMatrix data, IsolationForestOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        options ??= new IsolationForestOptions();
        options.Validate();
        var psi = Math.Min(options.SubsampleSize, data.Rows);
        var heightLimit = (int)Math.Ceiling(Math.Log2(Math.Max(psi, 2)));
        var random = new Random(options.Seed);
        var builder = new ForestBuilder(data, heightLimit);
        var sample = new int[data.Rows];
        for (var i = 0; i < sample.Length; i++) sample[i] = i;
        var subset = new int[psi];
        var treeNodeCounts = new int[options.Trees];
        for (var t = 0; t < options.Trees; t++)
        {
            // Partial Fisher–Yates: the first psi entries become a uniform sample without replacement.
            for (var i = 0; i < psi; i++)
            {
                var j = random.Next(i, sample.Length);
                (sample[i], sample[j]) = (sample[j], sample[i]);
            }

            // Grow partitions its rows in place, so it works on a copy: the sample order must stay that of the draws.
            var before = builder.Count;
            sample.AsSpan(0, psi).CopyTo(subset);
            builder.Grow(subset, 0, psi, 0, random);
            treeNodeCounts[t] = builder.Count - before;
        }

        var unfitted = new IsolationForestDetector(data.Columns, psi, [.. builder.Feature], [.. builder.Value], [.. builder.Left], [.. builder.Right], treeNodeCounts, double.PositiveInfinity, data.Rows);
        var threshold = ScoreQuantile.FromContamination(unfitted.ScoreEvenlySpaced(data, CalibrationSampleSize(data.Rows, options.Contamination)), options.Contamination);
        return (IsolationForestDetector)unfitted.WithThreshold(threshold);
    }

    /// <inheritdoc />
    public void Score(ReadOnlySpan<float> rows, Span<float> scores)
    {
        ScoreGuard.Check(rows, scores, Dimension);
        var d = Dimension;
        var nodes = _nodes;
        var leaves = _leafValues;
        var scale = -1.0 / (Normaliser * _roots.Length);
        Span<double> totals = stackalloc double[RowBlock];
        Span<int> at = stackalloc int[RowBlock];
        for (var start = 0; start < scores.Length; start += RowBlock)
        {
            var count = Math.Min(RowBlock, scores.Length - start);
            var block = rows.Slice(start * d, count * d);
            var position = at[..count];
            totals.Clear();
            for (var t = 0; t < _roots.Length; t++)
            {
                position.Fill(_roots[t]);
                Walk(block, d, nodes, position, _treeDepths[t]);
                for (var r = 0; r < position.Length; r++) totals[r] += leaves[position[r]];
            }

            for (var r = 0; r < count; r++) scores[start + r] = (float)Math.Pow(2, totals[r] * scale);
        }
    }

    // Moves every row of the block `depth` steps down the tree (a row at a leaf stays there). Level by level over the
    // block: the rows' walks are independent, so the CPU overlaps their loads instead of waiting on one row's chain of
    // node → feature value → child. The left/right choice is a compare mask, not a branch (it would mispredict half
    // the time); an unordered compare (NaN) goes right, as x < split is false.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Walk(ReadOnlySpan<float> block, int d, Node[] nodes, Span<int> position, int depth)
    {
        for (var level = 0; level < depth; level++)
        {
            for (var r = 0; r < position.Length; r++)
            {
                var node = nodes[position[r]];
                var left = Vector128.LessThan(Vector128.CreateScalarUnsafe(block[(r * d) + node.Feature]), Vector128.CreateScalarUnsafe(node.Value)).AsInt32().ToScalar();
                position[r] = node.Right + ((node.Left - node.Right) & left);
            }
        }
    }

    // Longest root-to-leaf path (in edges) of the tree at nodes[root .. root + count).
    private static int Depth(Node[] nodes, int root, int count)
    {
        // Children always come after their parent, so one forward pass assigns every node its depth.
        var depth = new int[count];
        var deepest = 0;
        for (var i = root; i < root + count; i++)
        {
            var node = nodes[i];
            if (node.Left == i) continue; // leaf
            var childDepth = depth[i - root] + 1;
            depth[node.Left - root] = childDepth;
            depth[node.Right - root] = childDepth;
            deepest = Math.Max(deepest, childDepth);
        }

        return deepest;
    }

    // Scores of `count` training rows spread evenly over the data (deterministic, no random draw), gathered a block at a
    // time so the sample is never copied whole.
    private float[] ScoreEvenlySpaced(FeatureMatrix data, int count)
    {
        var scores = new float[count];
        if (count == data.Rows)
        {
            Score(data.Values, scores);
            return scores;
        }

        var d = data.Columns;
        var block = new float[RowBlock * d];
        for (var start = 0; start < count; start += RowBlock)
        {
            var rows = Math.Min(RowBlock, count - start);
            for (var i = 0; i < rows; i++) data.Row((int)((long)(start + i) * data.Rows / count)).CopyTo(block.AsSpan(i * d, d));
            Score(block.AsSpan(0, rows * d), scores.AsSpan(start, rows));
        }

        return scores;
    }

    /// <inheritdoc />
    public IAnomalyDetector WithThreshold(double threshold) => new IsolationForestDetector(this, threshold);

    /// <inheritdoc />
    public byte[] Serialize() => DetectorSerializer.Write(new ModelHeader(Kind, Dimension, Threshold, TrainingSamples), WritePayload);

    /// <summary>c(n): average path length of an unsuccessful search in a binary search tree of n nodes.</summary>
    internal static double AveragePathLength(int n)
    {
        if (n <= 1) return 0;
        if (n == 2) return 1;
        var harmonic = Math.Log(n - 1) + 0.5772156649015329;
        return (2 * harmonic) - (2.0 * (n - 1) / n);
    }

    internal static IsolationForestDetector ReadPayload(ModelHeader header, BinaryReader reader)
    {
        var psi = reader.ReadInt32();
        if (psi < 2) throw new ModelFormatException($"Isolation Forest subsample size {psi} is invalid.");
        var counts = reader.ReadInts();
        var total = 0L;
        foreach (var c in counts)
        {
            if (c < 1) throw new ModelFormatException("Isolation Forest tree with no nodes.");
            total += c;
        }

        var feature = reader.ReadInts((int)total);
        var value = reader.ReadFloats((int)total);
        var left = reader.ReadInts((int)total);
        var right = reader.ReadInts((int)total);
        var offset = 0;
        foreach (var c in counts)
        {
            for (var i = offset; i < offset + c; i++)
            {
                if (feature[i] >= header.Dimension) throw new ModelFormatException($"Node {i} splits on feature {feature[i]} of {header.Dimension}.");
                if (feature[i] >= 0 && (left[i] <= i || left[i] >= offset + c || right[i] <= i || right[i] >= offset + c))
                {
                    throw new ModelFormatException($"Node {i} points outside its tree.");
                }
            }

            offset += c;
        }

        return new IsolationForestDetector(header.Dimension, psi, feature, value, left, right, counts, header.Threshold, header.TrainingSamples);
    }

    /// <summary>Builds a forest from whole trees taken from other forests (tree index lists per source).</summary>
    internal static IsolationForestDetector FromTrees(IReadOnlyList<(IsolationForestDetector Forest, int Tree)> picks, double threshold, long samples)
    {
        var first = picks[0].Forest;
        var feature = new List<int>();
        var value = new List<float>();
        var left = new List<int>();
        var right = new List<int>();
        var counts = new int[picks.Count];
        for (var p = 0; p < picks.Count; p++)
        {
            var (forest, tree) = picks[p];
            var start = forest._roots[tree];
            var count = forest._treeNodeCounts[tree];
            var shift = feature.Count - start;
            for (var i = start; i < start + count; i++)
            {
                feature.Add(forest._feature[i]);
                value.Add(forest._value[i]);
                left.Add(forest._feature[i] >= 0 ? forest._left[i] + shift : -1);
                right.Add(forest._feature[i] >= 0 ? forest._right[i] + shift : -1);
            }

            counts[p] = count;
        }

        return new IsolationForestDetector(first.Dimension, first.SubsampleSize, [.. feature], [.. value], [.. left], [.. right], counts, threshold, samples);
    }

    internal bool HasFiniteValues()
    {
        foreach (var v in _value)
        {
            if (!float.IsFinite(v)) return false;
        }

        return true;
    }

    private void WritePayload(BinaryWriter writer)
    {
        writer.Write(SubsampleSize);
        writer.WriteInts(_treeNodeCounts);
        writer.WriteInts(_feature);
        writer.WriteFloats(_value);
        writer.WriteInts(_left);
        writer.WriteInts(_right);
    }

    // One node packed for scoring: split value, feature and children; a leaf is its own child on both sides.
    private readonly record struct Node(float Value, int Feature, int Left, int Right);

    private sealed class ForestBuilder(FeatureMatrix data, int heightLimit)
    {
        public List<int> Feature { get; } = [];

        public List<float> Value { get; } = [];

        public List<int> Left { get; } = [];

        public List<int> Right { get; } = [];

        public int Count => Feature.Count;

        /// <summary>Grows the subtree over rows[start..end) and returns its node index.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public int Grow(int[] rows, int start, int end, int depth, Random random)
        {
            var size = end - start;
            var node = Add();
            if (depth >= heightLimit || size <= 1)
            {
                MakeLeaf(node, depth, size);
                return node;
            }

            var d = data.Columns;
            var values = data.Array;

            // Pick a random feature; if it is constant on this node, try the others in a random rotation.
            var firstFeature = random.Next(d);
            for (var attempt = 0; attempt < d; attempt++)
            {
                var q = (firstFeature + attempt) % d;
                var min = float.PositiveInfinity;
                var max = float.NegativeInfinity;
                for (var i = start; i < end; i++)
                {
                    var v = values[(rows[i] * d) + q];
                    if (v < min) min = v;
                    if (v > max) max = v;
                }

                if (!(max > min)) continue;

                var split = (float)(min + (random.NextDouble() * (max - min)));
                if (split <= min) split = min + ((max - min) / 2); // float rounding must not give an empty left side

                // Partition in place: rows with x_q < split go left.
                var mid = start;
                for (var i = start; i < end; i++)
                {
                    if (values[(rows[i] * d) + q] < split)
                    {
                        (rows[i], rows[mid]) = (rows[mid], rows[i]);
                        mid++;
                    }
                }

                Feature[node] = q;
                Value[node] = split;
                var leftChild = Grow(rows, start, mid, depth + 1, random);
                var rightChild = Grow(rows, mid, end, depth + 1, random);
                Left[node] = leftChild;
                Right[node] = rightChild;
                return node;
            }

            MakeLeaf(node, depth, size);
            return node;
        }

        private int Add()
        {
            Feature.Add(-1);
            Value.Add(0);
            Left.Add(-1);
            Right.Add(-1);
            return Feature.Count - 1;
        }

        private void MakeLeaf(int node, int depth, int size)
        {
            Feature[node] = -1;
            Value[node] = (float)(depth + AveragePathLength(size));
        }
    }
}
