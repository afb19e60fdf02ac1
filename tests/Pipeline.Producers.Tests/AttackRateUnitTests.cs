using Pipeline.Contracts;
using Pipeline.Producers.Scenarios;
using Pipeline.Producers.Simulation;

namespace Pipeline.Producers.Tests;

/// <summary>Measured label fractions over long streams stay within tolerance of the configured rates.</summary>
public sealed class AttackRateUnitTests
{
    // Episodes label runs of messages, so counts vary more than independent draws would; ±30% is
    // about three standard deviations at these stream lengths.
    private const double RelativeTolerance = 0.30;

    [Fact]
    public void Iiot_MeasuredRates_MatchConfigured()
    {
        var rates = new Dictionary<string, double>
        {
            [AttackLabels.SensorSpoofing] = 0.02,
            [AttackLabels.ActuatorManipulation] = 0.03,
            [AttackLabels.Replay] = 0.015,
            [AttackLabels.SlowDrift] = 0.03,
        };
        var scenario = new ScenarioDefinition
        {
            Clusters = 2,
            Iiot = new IiotScenario { FactoriesPerCluster = 10, StagesPerFactory = 5, Attacks = rates },
        };
        var counts = Count(new ScenarioWorld(scenario, 11), ProducerDomains.Iiot, Topics.IiotTelemetry, 1_500_000);

        AssertRates(rates, counts);
    }

    [Fact]
    public void Chain_MeasuredRates_MatchConfiguredPerTopic()
    {
        var rates = new Dictionary<string, double>
        {
            [AttackLabels.DoubleSpend] = 0.01,
            [AttackLabels.TxFlooding] = 0.02,
            [AttackLabels.HiddenMessage] = 0.01,
            [AttackLabels.FakeBlock] = 0.01,
            [AttackLabels.ForkBurst] = 0.03,
            [AttackLabels.MinerDominance] = 0.04,
        };
        var scenario = new ScenarioDefinition
        {
            Clusters = 4,
            Iiot = new IiotScenario { FactoriesPerCluster = 3, StagesPerFactory = 1 },
            Chain = new ChainScenario { TransactionsPerSecond = 1, BlockIntervalSeconds = 10, Attacks = rates },
        };
        var world = new ScenarioWorld(scenario, 12);
        var blocks = new Dictionary<string, int>();
        var transactions = new Dictionary<string, int>();
        var n = 0;
        foreach (var m in world.Stream(ProducerDomains.Chain))
        {
            var target = m.Topic == Topics.ChainBlocks ? blocks : transactions;
            target[m.Label!] = target.GetValueOrDefault(m.Label!) + 1;
            if (++n == 1_500_000)
            {
                break;
            }
        }

        AssertRates(rates.Where(r => AttackLabels.BlockAttacks.Contains(r.Key)).ToDictionary(), blocks);
        AssertRates(rates.Where(r => AttackLabels.TransactionAttacks.Contains(r.Key)).ToDictionary(), transactions,
            ignore: [AttackLabels.FakeBlock]);
    }

    [Fact]
    public void Endpoints_MeasuredRates_MatchConfigured()
    {
        var rates = new Dictionary<string, double>
        {
            [AttackLabels.UnknownBinary] = 0.01,
            [AttackLabels.ModifiedBinary] = 0.01,
            [AttackLabels.AdminToolByUser] = 0.015,
            [AttackLabels.LateralMovement] = 0.02,
        };
        var scenario = new ScenarioDefinition
        {
            Endpoints = new EndpointScenario { Attacks = rates },
        };
        var counts = Count(new ScenarioWorld(scenario, 13), ProducerDomains.Endpoints, Topics.EndpointExecutions, 600_000);

        AssertRates(rates, counts);
    }

    [Fact]
    public void Stream_ZeroRates_AllNormal()
    {
        var scenario = TestScenarios.Small() with
        {
            Iiot = new IiotScenario { FactoriesPerCluster = 2, StagesPerFactory = 1, Attacks = [] },
            Chain = new ChainScenario { Attacks = [] },
            Endpoints = new EndpointScenario { Attacks = [] },
        };

        var messages = TestScenarios.Take(new ScenarioWorld(scenario, 3), ProducerDomains.All, 50_000);

        Assert.All(messages, m => Assert.Equal(AttackLabels.Normal, m.Label));
    }

    private static Dictionary<string, int> Count(ScenarioWorld world, ProducerDomains domains, string topic, int total)
    {
        var counts = new Dictionary<string, int>();
        var n = 0;
        foreach (var m in world.Stream(domains))
        {
            Assert.Equal(topic, m.Topic);
            counts[m.Label!] = counts.GetValueOrDefault(m.Label!) + 1;
            if (++n == total)
            {
                break;
            }
        }
        return counts;
    }

    private static void AssertRates(Dictionary<string, double> rates, Dictionary<string, int> counts, string[]? ignore = null)
    {
        double total = counts.Values.Sum();
        foreach (var label in counts.Keys)
        {
            Assert.True(label == AttackLabels.Normal || rates.ContainsKey(label) || (ignore?.Contains(label) ?? false),
                $"unexpected label {label}");
        }
        foreach (var (label, rate) in rates)
        {
            var measured = counts.GetValueOrDefault(label) / total;
            Assert.True(Math.Abs(measured - rate) <= RelativeTolerance * rate,
                $"{label}: measured {measured:P3} of {total} messages, configured {rate:P3}");
        }
    }
}
