using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.PeerIndex;
using Pipeline.Platform.Kafka;
using Pipeline.Testing;

namespace Pipeline.Dashboard.Tests;

/// <summary>The dashboard in-process against an embedded broker and a real redis-server, rendered by headless Chromium.</summary>
public sealed class DashboardPageTests(KafkaFixture kafka, RedisServer redis) : IClassFixture<KafkaFixture>, IClassFixture<RedisServer>
{
    [Fact]
    public async Task Page_AlertsAndPeerLoads_AppearInRenderedDom()
    {
        HeadlessChromium.Require();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var prefix = $"dash{Guid.NewGuid():N}.";
        kafka.Broker.CreateTopic(prefix + Topics.Alerts, 1);
        kafka.Broker.CreateTopic(prefix + Topics.FlGlobalModel, 1);
        var clients = new KafkaClientFactory(kafka.BootstrapServers, new KafkaOptions { BootstrapServers = kafka.BootstrapServers, TopicPrefix = prefix });

        using (var producer = clients.CreateProducer("dashboard-test"))
        {
            for (var i = 0; i < 3; i++)
            {
                var alert = new Alert
                {
                    AlertId = $"alert-{i}",
                    EntityKey = $"miner-{i}-suspect",
                    Stream = i == 2 ? "iiot" : "chain",
                    AlertType = i == 2 ? "replay" : "selfish-mining",
                    Detector = "ned",
                    Score = 0.9 + (i / 100.0),
                    Threshold = 0.5,
                    ModelVersion = 3,
                    EventTime = DateTimeOffset.UtcNow,
                    DetectionTime = DateTimeOffset.UtcNow,
                    SourceTopic = prefix + Topics.ChainBlocks,
                    SourcePartition = 0,
                    SourceOffset = i,
                };
                await producer.ProduceAsync(clients.Topic(Topics.Alerts), new() { Key = alert.EntityKey, Value = AvroSingleObject.Encode(alert) }, cts.Token);
            }
        }

        var peerIndex = new PeerIndexOptions { Redis = redis.Endpoint, KeyPrefix = RedisServer.NewKeyPrefix(), HeartbeatTtl = TimeSpan.FromMinutes(5) };
        var registry = new RedisPeerRegistry(redis.Connection, Options.Create(peerIndex));
        await registry.ReportAsync(new PeerRegistration("peer-alpha", "Org1MSP", "127.0.0.1:7051"), new PeerLoad(42, 30, 1), cts.Token);
        await registry.ReportAsync(new PeerRegistration("peer-bravo", "Org2MSP", "127.0.0.1:8051"), new PeerLoad(12, 20, 0), cts.Token);

        var options = new DashboardOptions { Port = 0, PollInterval = TimeSpan.FromMilliseconds(200), LagGroups = [] };
        await using var host = await DashboardHost.StartAsync(options, clients, peerIndex, LoggerFactory.Create(b => b.AddConsole()), cts.Token);
        await WaitUntil(() => host.State.Alerts().Count == 3 && host.State.Peers().Peers.Count == 2, TimeSpan.FromSeconds(30), () => $"alerts (have {host.State.Alerts().Count}) and peers (have {host.State.Peers().Peers.Count}) to reach the dashboard");

        var dom = HeadlessChromium.DumpDom(host.Url);
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "pipeline-dashboard-dom.html"), dom);
        Assert.Equal(3, CountOccurrences(dom, "data-alert-id=\"alert-"));
        Assert.Contains("miner-0-suspect", dom, StringComparison.Ordinal);
        Assert.Contains("selfish-mining", dom, StringComparison.Ordinal);
        Assert.Equal(2, CountOccurrences(dom, "data-peer-id=\"peer-"));
        Assert.Contains("peer-alpha", dom, StringComparison.Ordinal);
        Assert.Contains("42.0", dom, StringComparison.Ordinal);

        var screenshot = Path.Combine(Path.GetTempPath(), "pipeline-dashboard.png");
        HeadlessChromium.Screenshot(host.Url, screenshot);
        Assert.True(new FileInfo(screenshot).Length > 0);

        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri(host.Url, "metrics"), cts.Token);
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "pipeline-dashboard-metrics.txt"), metrics);
        Assert.Contains("pipeline_dashboard_alerts{stream=\"chain\",type=\"selfish-mining\"} 2", metrics, StringComparison.Ordinal);
        Assert.Contains("peer-alpha", metrics, StringComparison.Ordinal);
    }

    private static int CountOccurrences(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    private static async Task WaitUntil(Func<bool> condition, TimeSpan timeout, Func<string> what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"timed out after {timeout} waiting for {what()}");
            }
            await Task.Delay(50); // poll interval of a deadline-bounded wait, not a race fix
        }
    }
}
