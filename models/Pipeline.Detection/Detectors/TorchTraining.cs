using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Detection;

/// <summary>
/// Mini-batch training of NED's dense autoencoder in libtorch, shared by a fresh fit and by a federated participant's
/// local epochs. Parameters live in plain arrays (weight l is sizes[l+1] × sizes[l], row-major) and are trained in place.
/// </summary>
/// <remarks>
/// The optimizer step is written here rather than taken from <c>optim.SGD</c>/<c>optim.Adam</c>: TorchSharp's
/// optimizers pass learning rates as temporary <see cref="Scalar"/> objects whose native handle the garbage collector may
/// finalize while libtorch still reads it, which surfaced as "Expected false to be true ... toFloat at Scalar.h" inside
/// <c>SGD.step</c> in loaded test runs (intermittent, and not cured by serializing training). Every Scalar below is held
/// by a <c>using</c> for as long as libtorch can use it. The update rules are PyTorch's (SGD with momentum and no
/// dampening; Adam with β = (0.9, 0.999), ε = 1e-8).
/// <para>Training is serialized process-wide: it pins libtorch to one intra-op thread (a fixed GEMM reduction order
/// makes a seed reproduce a model bit for bit), and that setting is process-wide. Narrow models train in seconds.</para>
/// </remarks>
internal static class TorchTraining
{
    private static readonly Lock Gate = new();

    public static void TrainAutoencoder(
        float[] rows,
        int count,
        int[] sizes,
        float[][] weights,
        float[][] biases,
        NedOptions options,
        Random random,
        CancellationToken cancellationToken)
    {
        lock (Gate)
        {
            if (torch.get_num_threads() != 1) torch.set_num_threads(1);
            var d = sizes[0];
            var linears = new List<Linear>();
            var layers = new List<nn.Module<Tensor, Tensor>>();
            using (no_grad())
            {
                for (var l = 0; l < weights.Length; l++)
                {
                    var linear = nn.Linear(sizes[l], sizes[l + 1]);
                    using var w = tensor(weights[l], [sizes[l + 1], sizes[l]]);
                    using var b = tensor(biases[l], [sizes[l + 1]]);
                    linear.weight!.copy_(w);
                    linear.bias!.copy_(b);
                    linears.Add(linear);
                    layers.Add(linear);
                    if (l < weights.Length - 1) layers.Add(options.Activation == NedActivation.Relu ? nn.ReLU() : nn.Tanh());
                }
            }

            using var network = nn.Sequential(layers);
            network.train();
            var parameters = network.parameters().ToArray();
            using var step = options.Optimizer == NedOptimizer.Adam
                ? (ParameterStep)new AdamStep(parameters, options.LearningRate)
                : new SgdStep(parameters, options.LearningRate, options.Momentum);
            var order = new int[count];
            for (var i = 0; i < count; i++) order[i] = i;
            var batchSize = Math.Min(options.BatchSize, count);
            var batch = new float[batchSize * d];
            for (var epoch = 0; epoch < options.Epochs; epoch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                random.Shuffle(order);
                for (var start = 0; start < count; start += batchSize)
                {
                    var n = Math.Min(batchSize, count - start);
                    for (var i = 0; i < n; i++) rows.AsSpan(order[start + i] * d, d).CopyTo(batch.AsSpan(i * d, d));
                    using (NewDisposeScope())
                    {
                        // tensor(float[]) wraps the pinned managed array; clone into libtorch's aligned allocation, since
                        // kernels choose their code path (and rounding order) by alignment.
                        using var pinned = tensor(batch, [batchSize, d]);
                        var x = pinned.narrow(0, 0, n).clone();
                        network.zero_grad();
                        var loss = nn.functional.mse_loss(network.call(x), x);
                        loss.backward();
                    }

                    step.Apply();
                }
            }

            for (var l = 0; l < linears.Count; l++)
            {
                linears[l].weight!.data<float>().CopyTo(weights[l]);
                linears[l].bias!.data<float>().CopyTo(biases[l]);
            }
        }
    }

    /// <summary>One optimizer update over the parameters' current gradients, under no_grad.</summary>
    /// <remarks>State tensors (momentum, moments) are detached from dispose scopes and owned by the step.</remarks>
    private abstract class ParameterStep(Parameter[] parameters) : IDisposable
    {
        protected Parameter[] Parameters { get; } = parameters;

        /// <summary>Alpha for a plain add_: the overloads without one make a temporary Scalar for it.</summary>
        protected Scalar One { get; } = 1.0.ToScalar();

        public void Apply()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            for (var i = 0; i < Parameters.Length; i++)
            {
                if (Parameters[i].grad is { } gradient) Update(i, Parameters[i], gradient);
            }

            AfterStep();
        }

        protected abstract void Update(int index, Tensor parameter, Tensor gradient);

        protected virtual void AfterStep()
        {
        }

        public virtual void Dispose() => One.Dispose();
    }

    private sealed class SgdStep(Parameter[] parameters, double learningRate, double momentum) : ParameterStep(parameters)
    {
        private readonly Scalar _negativeRate = (-learningRate).ToScalar();
        private readonly Scalar _momentumFactor = momentum.ToScalar();
        private readonly Tensor?[] _velocity = new Tensor?[parameters.Length];

        protected override void Update(int index, Tensor parameter, Tensor gradient)
        {
            var direction = gradient;
            if (momentum != 0)
            {
                if (_velocity[index] is { } buffer)
                {
                    buffer.mul_(_momentumFactor).add_(gradient, One);
                }
                else
                {
                    _velocity[index] = buffer = gradient.detach().clone().DetachFromDisposeScope();
                }

                direction = buffer;
            }

            parameter.add_(direction, _negativeRate);
        }

        public override void Dispose()
        {
            foreach (var buffer in _velocity) buffer?.Dispose();
            _negativeRate.Dispose();
            _momentumFactor.Dispose();
            base.Dispose();
        }
    }

    private sealed class AdamStep(Parameter[] parameters, double learningRate) : ParameterStep(parameters)
    {
        private const double Beta1 = 0.9;
        private const double Beta2 = 0.999;
        private const double Epsilon = 1e-8;
        private readonly Scalar _beta1 = Beta1.ToScalar();
        private readonly Scalar _beta2 = Beta2.ToScalar();
        private readonly Scalar _oneMinusBeta1 = (1 - Beta1).ToScalar();
        private readonly Scalar _oneMinusBeta2 = (1 - Beta2).ToScalar();
        private readonly Scalar _epsilon = Epsilon.ToScalar();
        private readonly Tensor[] _firstMoment = parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        private readonly Tensor[] _secondMoment = parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        private int _steps = 1;

        protected override void Update(int index, Tensor parameter, Tensor gradient)
        {
            var m = _firstMoment[index];
            var v = _secondMoment[index];
            m.mul_(_beta1).add_(gradient, _oneMinusBeta1);
            v.mul_(_beta2).addcmul_(gradient, gradient, _oneMinusBeta2);
            using var secondCorrection = Math.Sqrt(1 - Math.Pow(Beta2, _steps)).ToScalar();
            using var negativeStepSize = (-learningRate / (1 - Math.Pow(Beta1, _steps))).ToScalar();
            using var denominator = v.sqrt();
            denominator.div_(secondCorrection).add_(_epsilon, One);
            parameter.addcdiv_(m, denominator, negativeStepSize);
        }

        protected override void AfterStep() => _steps++;

        public override void Dispose()
        {
            foreach (var t in _firstMoment.Concat(_secondMoment)) t.Dispose();
            foreach (var s in new[] { _beta1, _beta2, _oneMinusBeta1, _oneMinusBeta2, _epsilon }) s.Dispose();
            base.Dispose();
        }
    }
}
