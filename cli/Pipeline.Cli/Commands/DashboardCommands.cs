using System.CommandLine;
using Pipeline.Dashboard;
using Pipeline.PeerIndex;
using Pipeline.Platform;
using Pipeline.Platform.Kafka;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline dashboard</c>: the web dashboard against the configured Kafka and Redis.</summary>
internal static class DashboardCommands
{
    public static Command Create()
    {
        var port = new Option<int?>("--port") { Description = "Port on 127.0.0.1 (0 = any free port). Default: Dashboard:Port (8080)." };
        var noPeers = new Option<bool>("--no-peers") { Description = "Do not poll the Redis peer index (PeerIndex:Redis)." };
        var command = new Command(
            "dashboard",
            "Serve the dashboard until Ctrl+C: latest alerts, alert rate per stream, detection quality per federated round, " +
            "peer loads and statuses from the Redis peer index, consumer lag; JSON under /api/*, Prometheus text at /metrics. " +
            "Config: Dashboard:Port, Dashboard:BindAddress, Dashboard:MaxAlerts, Dashboard:LagGroups:<group>:<i>=<topic>, PeerIndex:Redis.")
        {
            port,
            noPeers,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var kafka = CliHost.Kafka(parse);
            if (kafka.UsesEmbeddedBroker)
            {
                return CliHost.Fail("the dashboard shows a running pipeline: pass --bootstrap-servers (or set Kafka:BootstrapServers).");
            }
            var configuration = CliHost.Configuration(parse);
            var options = configuration.Bind<DashboardOptions>(DashboardOptions.SectionName);
            options.Port = parse.GetValue(port) ?? options.Port;
            var peerIndex = parse.GetValue(noPeers) ? null : configuration.Bind<PeerIndexOptions>(PeerIndexOptions.SectionName);
            using var logging = CliHost.Logging();
            await using var host = await DashboardHost.StartAsync(options, new KafkaClientFactory(kafka.BootstrapServers!, kafka), peerIndex, logging, cancellationToken);
            Console.WriteLine($"dashboard: {host.Url}  (metrics: {host.Url}metrics; Ctrl+C stops)");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
            return 0;
        });
        return command;
    }
}
