using Pipeline.Detection;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Detection.Tests;

/// <summary>
/// NED's own optimizer step (written to hold its Scalars for as long as libtorch reads them, see TorchTraining) makes
/// the same updates as TorchSharp's SGD and Adam.
/// </summary>
public sealed class TorchTrainingUnitTests
{
    private static readonly int[] Sizes = [6, 4, 6];

    [Theory]
    [InlineData(NedOptimizer.Sgd, 0.0)]
    [InlineData(NedOptimizer.Sgd, 0.9)]
    [InlineData(NedOptimizer.Adam, 0.0)]
    public void TrainAutoencoder_OneBatchPerEpoch_MatchesTorchSharpOptimizer(NedOptimizer optimizer, double momentum)
    {
        var data = TestData.Correlated(32, Sizes[0], seed: 4);
        var options = new NedOptions { Optimizer = optimizer, Momentum = momentum, Epochs = 6, BatchSize = 32, LearningRate = 0.05 };
        var (weights, biases) = InitialParameters(Sizes, seed: 9);
        var (expectedWeights, expectedBiases) = InitialParameters(Sizes, seed: 9);

        TorchTraining.TrainAutoencoder(data.Values.ToArray(), data.Rows, Sizes, weights, biases, options, new Random(1), CancellationToken.None);
        TrainWithTorchSharpOptimizer(data, expectedWeights, expectedBiases, options);

        Assert.NotEqual(InitialParameters(Sizes, seed: 9).Weights[0], weights[0]); // it trained
        for (var l = 0; l < weights.Length; l++)
        {
            for (var i = 0; i < weights[l].Length; i++) Assert.Equal(expectedWeights[l][i], weights[l][i], 1e-5f);
            for (var i = 0; i < biases[l].Length; i++) Assert.Equal(expectedBiases[l][i], biases[l][i], 1e-5f);
        }
    }

    private static (float[][] Weights, float[][] Biases) InitialParameters(int[] sizes, int seed)
    {
        var random = new Random(seed);
        var weights = new float[sizes.Length - 1][];
        var biases = new float[sizes.Length - 1][];
        for (var l = 0; l < weights.Length; l++)
        {
            weights[l] = Enumerable.Range(0, sizes[l] * sizes[l + 1]).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
            biases[l] = Enumerable.Range(0, sizes[l + 1]).Select(_ => (float)(random.NextDouble() - 0.5) * 0.1f).ToArray();
        }

        return (weights, biases);
    }

    private static void TrainWithTorchSharpOptimizer(FeatureMatrix data, float[][] weights, float[][] biases, NedOptions options)
    {
        var first = nn.Linear(Sizes[0], Sizes[1]);
        var second = nn.Linear(Sizes[1], Sizes[2]);
        using (no_grad())
        {
            first.weight!.copy_(tensor(weights[0], [Sizes[1], Sizes[0]]));
            first.bias!.copy_(tensor(biases[0]));
            second.weight!.copy_(tensor(weights[1], [Sizes[2], Sizes[1]]));
            second.bias!.copy_(tensor(biases[1]));
        }

        using var network = nn.Sequential(first, nn.Tanh(), second);
        using var optimizer = options.Optimizer == NedOptimizer.Adam
            ? (optim.Optimizer)optim.Adam(network.parameters(), options.LearningRate)
            : optim.SGD(network.parameters(), options.LearningRate, options.Momentum);
        using var x = tensor(data.Values.ToArray(), [data.Rows, data.Columns]);
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.mse_loss(network.call(x), x).backward();
            optimizer.step();
        }

        first.weight!.data<float>().CopyTo(weights[0]);
        first.bias!.data<float>().CopyTo(biases[0]);
        second.weight!.data<float>().CopyTo(weights[1]);
        second.bias!.data<float>().CopyTo(biases[1]);
    }
}
