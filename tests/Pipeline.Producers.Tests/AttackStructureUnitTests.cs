using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Producers.Scenarios;
using Pipeline.Producers.Simulation;

namespace Pipeline.Producers.Tests;

/// <summary>Attacks show in the structure and physics of the events, which is what detectors can learn.</summary>
public sealed class AttackStructureUnitTests
{
    private static readonly ScenarioDefinition Busy = new()
    {
        Clusters = 2,
        Iiot = new IiotScenario
        {
            FactoriesPerCluster = 4,
            StagesPerFactory = 2,
            Attacks = new() { ["sensor_spoofing"] = 0.02, ["actuator_manipulation"] = 0.03, ["replay"] = 0.02, ["slow_drift"] = 0.02 },
        },
        Chain = new ChainScenario
        {
            TransactionsPerSecond = 2,
            Attacks = new()
            {
                ["double_spend"] = 0.01,
                ["tx_flooding"] = 0.02,
                ["hidden_message"] = 0.01,
                ["fake_block"] = 0.03,
                ["fork_burst"] = 0.05,
                ["miner_dominance"] = 0.05,
            },
        },
        Endpoints = new EndpointScenario
        {
            Attacks = new() { ["unknown_binary"] = 0.02, ["modified_binary"] = 0.02, ["admin_tool_by_user"] = 0.02, ["lateral_movement"] = 0.02 },
        },
    };

    [Fact]
    public void Chain_MainChainBlocks_LinkToThePreviousTipAndAttackBlocksDoNot()
    {
        var world = new ScenarioWorld(Busy, 21);
        var tips = new Dictionary<string, (string Hash, long Height, double Difficulty)>();
        var sawFake = false;
        var sawOrphan = false;
        foreach (var m in TestScenarios.Take(world, ProducerDomains.Chain, 200_000).Where(m => m.Topic == Topics.ChainBlocks))
        {
            var block = AvroSingleObject.Decode<BlockEvent>(m.Value);
            if (!tips.TryGetValue(block.ClusterId, out var tip))
            {
                tips[block.ClusterId] = (block.BlockHash, block.Height, block.Difficulty);
                continue;
            }
            switch (m.Label)
            {
                case AttackLabels.FakeBlock:
                    sawFake = true;
                    Assert.NotEqual(tip.Hash, block.PreviousHash);
                    Assert.True(block.Difficulty < tip.Difficulty / 10, "a fake block claims a much lower difficulty");
                    break;
                case AttackLabels.ForkBurst:
                    sawOrphan = true;
                    Assert.Equal(tip.Hash, block.PreviousHash); // competes for the next height
                    Assert.Equal(tip.Height + 1, block.Height);
                    break;
                default:
                    Assert.Equal(tip.Hash, block.PreviousHash);
                    Assert.Equal(tip.Height + 1, block.Height);
                    // Emulated proof of work: the hash meets the block's own difficulty.
                    var zeros = (int)Math.Floor(Math.Log(block.Difficulty, 16));
                    Assert.StartsWith(new string('0', zeros), block.BlockHash, StringComparison.Ordinal);
                    tips[block.ClusterId] = (block.BlockHash, block.Height, block.Difficulty);
                    break;
            }
        }
        Assert.True(sawFake && sawOrphan);
    }

    [Fact]
    public void Chain_DoubleSpends_ReuseAnAccountNonceAndNormalTransactionsNever()
    {
        var seen = new Dictionary<(string, long), string>();
        var doubleSpends = 0;
        foreach (var m in TestScenarios.Take(new ScenarioWorld(Busy, 22), ProducerDomains.Chain, 200_000))
        {
            if (m.Topic != Topics.ChainTransactions || m.Label == AttackLabels.FakeBlock)
            {
                continue; // forged transactions reuse a victim's nonce too
            }
            var tx = AvroSingleObject.Decode<TransactionEvent>(m.Value);
            var key = (tx.FromAccount, tx.AccountNonce);
            if (seen.TryGetValue(key, out var firstLabel))
            {
                Assert.Equal(AttackLabels.DoubleSpend, m.Label);
                Assert.Equal(AttackLabels.DoubleSpend, firstLabel);
                doubleSpends++;
            }
            seen[key] = m.Label!;
        }
        Assert.True(doubleSpends > 10);
    }

    [Fact]
    public void Chain_HiddenMessages_CarryPayloadsFarLargerThanAnyNormalTransaction()
    {
        var messages = TestScenarios.Take(new ScenarioWorld(Busy, 23), ProducerDomains.Chain, 200_000)
            .Where(m => m.Topic == Topics.ChainTransactions)
            .Select(m => (m.Label, Tx: AvroSingleObject.Decode<TransactionEvent>(m.Value)))
            .ToList();

        var normalMax = messages.Where(x => x.Label == AttackLabels.Normal).Max(x => x.Tx.PayloadBytes);
        var hidden = messages.Where(x => x.Label == AttackLabels.HiddenMessage).Select(x => x.Tx.PayloadBytes).ToList();

        Assert.NotEmpty(hidden);
        Assert.All(hidden, p => Assert.True(p > 10 * normalMax, $"{p} vs normal max {normalMax}"));
    }

    [Fact]
    public void Iiot_ActuatorManipulation_ShowsStateAgainstCommandAndNormalNever()
    {
        var manipulated = 0;
        foreach (var m in TestScenarios.Take(new ScenarioWorld(Busy, 24), ProducerDomains.Iiot, 300_000))
        {
            var reading = AvroSingleObject.Decode<DeviceReading>(m.Value);
            if (reading.DeviceType is not ("valve" or "pump"))
            {
                continue;
            }
            var state = reading.Measurements[0].Value;
            var command = reading.Measurements[1].Value;
            if (m.Label == AttackLabels.Normal)
            {
                Assert.Equal(command, state);
            }
            else if (state != command)
            {
                manipulated++;
            }
        }
        Assert.True(manipulated > 100);
    }

    [Fact]
    public void Iiot_LevelFollowsFlows_InNormalOperation()
    {
        // Between two normal readings of a stage, the level moves by (inflow - outflow) * dt / area,
        // for an area of 1.3-1.7 m², so the implied area stays in that band (noise aside).
        var byStage = new Dictionary<string, (double Level, double Inflow, double Outflow)>();
        var implied = new List<double>();
        var pending = new Dictionary<string, (double? Level, double? Inflow, double? Outflow, bool Normal)>();
        var scenario = Busy with { Iiot = Busy.Iiot with { Attacks = [], NoiseFraction = 0 } };
        foreach (var m in TestScenarios.Take(new ScenarioWorld(scenario, 25), ProducerDomains.Iiot, 100_000))
        {
            var r = AvroSingleObject.Decode<DeviceReading>(m.Value);
            var stage = r.FactoryId + r.DeviceId[^3];
            var p = pending.GetValueOrDefault(stage, (null, null, null, true));
            p = r.DeviceType switch
            {
                "level-sensor" => p with { Level = r.Measurements[0].Value },
                "flow-meter" => p with { Inflow = r.Measurements[0].Value },
                "pump" => p with { Outflow = r.Measurements[3].Value },
                _ => p,
            };
            if (p is { Level: { } level, Inflow: { } inflow, Outflow: { } outflow })
            {
                if (byStage.TryGetValue(stage, out var before) && level is > 0.1 and < 4.9)
                {
                    var net = (inflow - outflow) / 3600; // m³/s over one 1 s interval
                    if (Math.Abs(net) > 0.002)
                    {
                        implied.Add(net / (level - before.Level));
                    }
                }
                byStage[stage] = (level, inflow, outflow);
                p = (null, null, null, true);
            }
            pending[stage] = p;
        }
        Assert.True(implied.Count > 1000);
        var median = implied.Order().ElementAt(implied.Count / 2);
        Assert.InRange(median, 1.2, 1.8);
    }

    [Fact]
    public void Endpoints_LabelsMatchWhatTheWhitelistAndRolesSay()
    {
        var world = new ScenarioWorld(Busy, 26);
        var catalogue = world.BuildCatalogue().Apps.ToDictionary(a => a.Sha256);
        var lateral = new Dictionary<string, HashSet<string>>();
        foreach (var m in TestScenarios.Take(world, ProducerDomains.Endpoints, 100_000))
        {
            var e = AvroSingleObject.Decode<EndpointExecution>(m.Value);
            var known = catalogue.TryGetValue(e.Sha256, out var app);
            switch (m.Label)
            {
                case AttackLabels.Normal:
                    Assert.True(known, $"normal execution of unknown hash {e.AppName}");
                    Assert.True(app!.OwnerRole == "user" || e.UserRole == "admin");
                    Assert.Equal(app.AppName, e.AppName);
                    break;
                case AttackLabels.UnknownBinary:
                    Assert.False(known);
                    Assert.DoesNotContain(catalogue.Values, a => a.AppName == e.AppName);
                    break;
                case AttackLabels.ModifiedBinary:
                    Assert.False(known);
                    Assert.Contains(catalogue.Values, a => a.AppName == e.AppName && a.AppVersion == e.AppVersion && a.ExecutablePath == e.ExecutablePath);
                    break;
                case AttackLabels.AdminToolByUser:
                    Assert.True(known);
                    Assert.Equal("admin", app!.OwnerRole);
                    Assert.Equal("user", e.UserRole);
                    break;
                case AttackLabels.LateralMovement:
                    Assert.False(known);
                    if (!lateral.TryGetValue(e.Sha256, out var endpoints))
                    {
                        lateral[e.Sha256] = endpoints = [];
                    }
                    Assert.True(endpoints.Add(e.EndpointId), "lateral movement visits each endpoint once");
                    break;
                default:
                    throw new Xunit.Sdk.XunitException($"unexpected label {m.Label}");
            }
        }
        Assert.Contains(lateral.Values, v => v.Count >= 3);
    }
}
