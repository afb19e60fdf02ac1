using Xunit.Abstractions;

namespace Pipeline.Federation.Tests;

/// <summary>
/// The Byzantine matrix at the aggregation layer: five participants train real NED updates on five clusters' telemetry
/// with <see cref="ParticipantTrainer"/>, sign them, and the coordinator's <see cref="RoundCollector"/> and
/// <see cref="RoundAggregator"/> close each round (<see cref="LocalRounds"/>) — everything the coordinator does except the
/// topics. After an honest bootstrap round, participant fl-c05 sends ×100-scaled or sign-flipped (×100) updates, correctly
/// signed. FederationConvergenceTests repeats one cell of the matrix on the embedded broker.
/// </summary>
public sealed class RobustAggregationUnitTests(RobustAggregationUnitTests.Setup setup, ITestOutputHelper output) : IClassFixture<RobustAggregationUnitTests.Setup>
{
    /// <summary>Rounds per run: the bootstrap round and two attacked rounds.</summary>
    public const int Rounds = 3;

    /// <summary>The AUC FedAvg loses at least under either attack (measured losses: docs/federation.md).</summary>
    public const double FedAvgDegradation = 0.1;

    [Theory]
    [InlineData(Attack.Scaled)]
    [InlineData(Attack.SignFlipped)]
    public void Aggregate_OneAttackerOfFive_RobustStrategiesStayNearCleanRunWhileFedAvgDegrades(Attack attack)
    {
        var clean = setup.Clean.Value;
        var results = new Dictionary<string, double>();
        foreach (var name in new[] { "fedavg", "median", "trimmed-mean", "krum" })
        {
            results[name] = setup.Run(name, attack);
            output.WriteLine($"{attack,-12} {name,-13} AUC {results[name]:F4} (clean FedAvg {clean:F4}, difference {results[name] - clean:+0.0000;-0.0000})");
        }

        Assert.True(results["fedavg"] < clean - FedAvgDegradation, $"FedAvg under attack {results["fedavg"]:F4} vs clean {clean:F4}");
        foreach (var robust in new[] { "median", "trimmed-mean", "krum" })
        {
            Assert.True(Math.Abs(results[robust] - clean) <= 0.02, $"{robust} under attack {results[robust]:F4} vs clean FedAvg {clean:F4}");
        }
    }

    /// <summary>Data and the clean FedAvg run, shared by the tests of this class.</summary>
    public sealed class Setup
    {
        private readonly FederatedData _data = FederatedData.Create(train: 1200, test: 1200);

        public Setup() => Clean = new(() => Run("fedavg", Attack.None));

        public Lazy<double> Clean { get; }

        /// <summary>AUC of the global model after <see cref="Rounds"/> rounds with <paramref name="strategy"/>.</summary>
        public double Run(string strategy, Attack attack)
        {
            var options = FederationConvergenceTests.Options(strategy, Rounds);
            using var rounds = new LocalRounds(options, _data.Train) { Attack = attack, AttackerId = "fl-c05" };
            for (var round = 1; round <= Rounds; round++)
            {
                var result = rounds.Round(options.CreateStrategy());
                Assert.True(result.Status == RoundStatus.Published, $"{strategy} round {round}: {result.Status} {result.Reason}");
                Assert.Equal(5, result.Accepted.Count);
            }

            return _data.Auc(rounds.Global!);
        }
    }
}
