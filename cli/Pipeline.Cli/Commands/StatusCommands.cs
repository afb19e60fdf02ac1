using System.CommandLine;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Dashboard;
using Pipeline.PeerIndex;
using Pipeline.Platform;
using Pipeline.Platform.Kafka;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline status</c>: consumer lag, group members, model versions and peers.</summary>
internal static class StatusCommands
{
    public static Command Create()
    {
        var groups = new Option<string[]>("--group")
        {
            Description = "GROUP=TOPIC[,TOPIC...] to report (repeatable; catalogue topic names). Default: Dashboard:LagGroups (the processors' groups).",
        };
        var members = new Option<bool>("--members")
        {
            Description = "Also list each group's members (processor instances) with DescribeConsumerGroups. Needs a real Kafka cluster; the embedded broker does not answer it.",
        };
        var noPeers = new Option<bool>("--no-peers") { Description = "Skip the Redis peer index (PeerIndex:Redis)." };
        var noModels = new Option<bool>("--no-models") { Description = "Skip reading fl.global-model." };
        var command = new Command(
            "status",
            "Operator status: per consumer group and partition the committed offset, end offset and lag (read with a non-joining consumer, " +
            "so no group rebalances); optionally the group members; the latest global model per model name; the peers in the peer index with load and status.")
        {
            groups,
            members,
            noPeers,
            noModels,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var kafka = CliHost.Kafka(parse);
            if (kafka.UsesEmbeddedBroker)
            {
                return CliHost.Fail("status reports on a running pipeline: pass --bootstrap-servers (or set Kafka:BootstrapServers).");
            }
            var configuration = CliHost.Configuration(parse);
            var clients = new KafkaClientFactory(kafka.BootstrapServers!, kafka);
            var wanted = new Dictionary<string, string[]>(StringComparer.Ordinal);
            foreach (var spec in parse.GetValue(groups) ?? [])
            {
                var eq = spec.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0 || eq == spec.Length - 1)
                {
                    return CliHost.Fail($"--group '{spec}' must look like GROUP=TOPIC[,TOPIC...].");
                }
                wanted[spec[..eq]] = spec[(eq + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            }
            if (wanted.Count == 0)
            {
                wanted = configuration.Bind<DashboardOptions>(DashboardOptions.SectionName).LagGroups;
            }

            var reader = new ConsumerLagReader(clients);
            Console.WriteLine($"{"group",-32} {"topic",-28} {"partition",9} {"committed",10} {"end",10} {"lag",8}");
            foreach (var (group, topics) in wanted.OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var lag = await reader.ReadAsync([group], topics, cancellationToken);
                foreach (var l in lag)
                {
                    Console.WriteLine($"{l.Group,-32} {l.Topic,-28} {l.Partition,9} {(l.Committed < 0 ? "-" : l.Committed.ToString(System.Globalization.CultureInfo.InvariantCulture)),10} {l.HighWatermark,10} {l.Lag,8}");
                }
                Console.WriteLine($"{group,-32} {"total",-28} {"",9} {"",10} {"",10} {lag.Sum(l => l.Lag),8}");
            }

            if (parse.GetValue(members))
            {
                await PrintMembersAsync(clients, [.. wanted.Keys]);
            }
            if (!parse.GetValue(noModels))
            {
                await PrintModelsAsync(clients, cancellationToken);
            }
            if (!parse.GetValue(noPeers))
            {
                await PrintPeersAsync(configuration.Bind<PeerIndexOptions>(PeerIndexOptions.SectionName), cancellationToken);
            }
            return 0;
        });
        return command;
    }

    private static async Task PrintMembersAsync(KafkaClientFactory clients, List<string> groups)
    {
        Console.WriteLine();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = clients.BootstrapServers }).Build();
        try
        {
            var described = await admin.DescribeConsumerGroupsAsync(groups, new DescribeConsumerGroupsOptions { RequestTimeout = TimeSpan.FromSeconds(10) });
            foreach (var g in described.ConsumerGroupDescriptions)
            {
                Console.WriteLine($"group {g.GroupId}: state {g.State}, {g.Members.Count} member(s)");
                foreach (var m in g.Members)
                {
                    var parts = m.Assignment?.TopicPartitions.Select(tp => $"{tp.Topic}/{tp.Partition.Value}") ?? [];
                    Console.WriteLine($"  {m.ClientId} ({m.Host}) {string.Join(' ', parts)}");
                }
            }
        }
        catch (KafkaException e)
        {
            Console.WriteLine($"group members unavailable: {e.Error.Reason}");
        }
    }

    private static async Task PrintModelsAsync(KafkaClientFactory clients, CancellationToken cancellationToken)
    {
        Console.WriteLine();
        var latest = new Dictionary<string, GlobalModel>(StringComparer.Ordinal);
        try
        {
            await new TopicSnapshotReader(clients).ReadAsync(Topics.FlGlobalModel, r =>
            {
                if (r.Message.Value is null)
                {
                    return;
                }
                var m = AvroSingleObject.Decode<GlobalModel>(r.Message.Value);
                if (!latest.TryGetValue(m.ModelName, out var seen) || seen.Version <= m.Version)
                {
                    latest[m.ModelName] = m;
                }
            }, cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            Console.WriteLine($"models unavailable: {e.Message}");
            return;
        }
        Console.WriteLine(latest.Count == 0 ? "models: none published yet" : $"{"model",-28} {"version",8} {"round",6} {"participants",12}  metrics");
        foreach (var m in latest.Values.OrderBy(m => m.ModelName, StringComparer.Ordinal))
        {
            var metrics = string.Join(' ', m.Metrics.Select(x => FormattableString.Invariant($"{x.Name}={x.Value:0.###}")));
            Console.WriteLine($"{m.ModelName,-28} {m.Version,8} {m.Round,6} {m.Participants.Count,12}  {metrics}");
        }
    }

    private static async Task PrintPeersAsync(PeerIndexOptions options, CancellationToken cancellationToken)
    {
        Console.WriteLine();
        try
        {
            await using var redis = await PeerIndexConnection.ConnectAsync(options.Redis);
            var peers = await new RedisPeerRegistry(redis, Microsoft.Extensions.Options.Options.Create(options)).ListAsync(cancellationToken);
            Console.WriteLine(peers.Count == 0 ? $"peers: none registered in group '{options.PeerGroup}'" : $"{"peer",-24} {"msp",-12} {"cpu%",6} {"ram%",6} {"inflight",8} {"load%",6}  status");
            foreach (var p in peers)
            {
                Console.WriteLine(FormattableString.Invariant($"{p.PeerId,-24} {p.MspId,-12} {p.Load.CpuPercent,6:0.0} {p.Load.RamPercent,6:0.0} {p.Load.InFlight,8} {p.EffectiveLoadPercent,6:0.0}  {p.Status}"));
            }
        }
        catch (StackExchange.Redis.RedisConnectionException e)
        {
            Console.WriteLine($"peer index unavailable at {options.Redis}: {e.Message}");
        }
    }
}
