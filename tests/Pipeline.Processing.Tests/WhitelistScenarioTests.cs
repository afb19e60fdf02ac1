using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Chaincode;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Ledger;
using Pipeline.PeerIndex;
using Pipeline.Processing.Whitelist;
using Pipeline.Producers.Scenarios;
using Pipeline.Producers.Simulation;
using Pipeline.Testing;

namespace Pipeline.Processing.Tests;

/// <summary>The whitelist processor over real embedded ledger peers, a real redis-server peer index
/// (D_THROTTLE) and the embedded broker, fed a labelled endpoint scenario.</summary>
public sealed class WhitelistScenarioTests(KafkaFixture kafka, RedisServer redis) : IClassFixture<KafkaFixture>, IClassFixture<RedisServer>, IDisposable
{
    private const int Executions = 3_000;
    private readonly string _ledgerDirectory = Path.Combine(Path.GetTempPath(), "processing-ledger-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_ledgerDirectory))
        {
            Directory.Delete(_ledgerDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task RunAsync_LabelledEndpointScenario_EveryAttackDeniedAndAlertedAndNoApprovedExecutionDenied()
    {
        var topics = new KafkaTestTopics(kafka);
        var scenario = new ScenarioDefinition
        {
            Name = "whitelist-tests",
            Clusters = 1,
            Endpoints = new EndpointScenario
            {
                Attacks = new() { ["unknown_binary"] = 0.02, ["modified_binary"] = 0.02, ["admin_tool_by_user"] = 0.02, ["lateral_movement"] = 0.01 },
            },
        };
        var world = new ScenarioWorld(scenario, seed: 51);
        var catalogue = world.BuildCatalogue();
        await using var network = await LedgerNetwork.StartAsync(new LedgerOptions { DataDirectory = _ledgerDirectory, Peers = 2, SyncWrites = false }, cancellationToken: CancellationToken.None);
        await WhitelistImporter.ImportAsync(network, new Pipeline.Ledger.WhitelistCatalogue
        {
            Apps = [.. catalogue.Apps.Select(a => new Pipeline.Ledger.CatalogueApp
            {
                Sha256 = a.Sha256, AppName = a.AppName, AppVersion = a.AppVersion, Platform = a.Platform, OwnerRole = a.OwnerRole, OwnerId = a.OwnerId, Approver = a.Approver,
            })],
            Endpoints = [.. catalogue.Endpoints.Select(e => new Pipeline.Ledger.CatalogueEndpoint { EndpointId = e.EndpointId, Organisation = e.Organisation, Platform = e.Platform })],
        }, ClientIdentity.Admin("test-admin", "Org1MSP"), 16, CancellationToken.None);

        var messages = world.Stream(ProducerDomains.Endpoints).Take(Executions).ToList();
        var positions = topics.PublishRaw([.. messages.Select(m => (m.Topic, (string?)m.Key, m.Value, (m.Key.Sum(c => c) % KafkaTestTopics.InputPartitions)))]);

        var index = new PeerIndexOptions { Redis = redis.Endpoint, KeyPrefix = RedisServer.NewKeyPrefix(), Strategy = PeerSelectionStrategy.DynamicThrottle };
        await using var ledger = await EmbeddedLedgerLookup.StartAsync(network, redis.Connection, index, NullLoggerFactory.Instance, "Org1MSP", CancellationToken.None);
        using var processor = new WhitelistProcessor(topics.Clients, ledger.Lookup, new ProcessingOptions { BatchSize = 500, SummaryIntervalSeconds = 0 },
            new WhitelistOptions { LookupTimeoutMs = 30_000 }, NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        var run = processor.RunAsync(stop.Token);
        await Polling.UntilAsync(() => topics.CountMessages(Topics.EndpointVerdicts, 3) >= Executions || run.IsCompleted,
            TimeSpan.FromSeconds(120), () => $"{topics.CountMessages(Topics.EndpointVerdicts, 3)} of {Executions} verdicts");
        var verdicts = topics.ReadUntil(Topics.EndpointVerdicts, r => r.Count >= Executions, TimeSpan.FromSeconds(30))
            .Select(r => AvroSingleObject.Decode<ExecutionVerdict>(r.Message.Value)).ToList();
        var alerts = topics.ReadUntil(Topics.Alerts, r => r.Count >= processor.Metrics.Alerts, TimeSpan.FromSeconds(30))
            .Select(r => AvroSingleObject.Decode<Alert>(r.Message.Value)).ToList();
        await stop.CancelAsync();
        await run;

        Assert.Equal(0, processor.Metrics.LookupFailures);
        Assert.Equal(Executions, verdicts.Count);
        var verdictOf = verdicts.ToDictionary(v => (v.EndpointId, v.LaunchId, v.Sha256));
        var alertAt = alerts.ToDictionary(a => (a.SourceTopic, a.SourcePartition, a.SourceOffset));
        var expectedReason = new Dictionary<string, string>
        {
            [AttackLabels.UnknownBinary] = "unknown_hash",
            [AttackLabels.ModifiedBinary] = "hash_mismatch",
            [AttackLabels.AdminToolByUser] = "admin_misuse",
        };
        var seenLabels = new Dictionary<string, int>();
        for (var i = 0; i < messages.Count; i++)
        {
            var execution = AvroSingleObject.Decode<EndpointExecution>(messages[i].Value);
            var verdict = verdictOf[(execution.EndpointId, execution.LaunchId, execution.Sha256)];
            var label = messages[i].Label!;
            seenLabels[label] = seenLabels.GetValueOrDefault(label) + 1;
            var position = (positions[i].Topic, positions[i].Partition.Value, positions[i].Offset.Value);
            if (label == AttackLabels.Normal)
            {
                Assert.True(verdict.Decision == "allow", $"approved execution {execution.AppName} by {execution.UserRole} denied: {verdict.Reason}");
                Assert.False(alertAt.ContainsKey(position));
            }
            else if (expectedReason.TryGetValue(label, out var reason))
            {
                Assert.Equal("deny", verdict.Decision);
                Assert.Equal(reason, verdict.Reason);
                Assert.Equal(reason, alertAt[position].AlertType);
                Assert.StartsWith(LedgerNetwork.PeerPrefix, verdict.PeerId, StringComparison.Ordinal);
            }
        }
        Assert.All(expectedReason.Keys, label => Assert.True(seenLabels.GetValueOrDefault(label) > 0, $"the scenario produced no {label} execution"));
    }
}
