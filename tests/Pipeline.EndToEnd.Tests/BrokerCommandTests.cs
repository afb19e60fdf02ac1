using Pipeline.Testing;

namespace Pipeline.EndToEnd.Tests;

/// <summary><c>pipeline broker</c> prints an address any Kafka tool can use.</summary>
public sealed class BrokerCommandTests
{
    [Fact]
    public void Broker_PrintsBootstrapThatKcatProducesToAndConsumesFrom_AndStopsOnCtrlC()
    {
        var kcat = Tools.Require("kcat", "apt-get update && apt-get install -y kcat");
        using var broker = ChildProcess.StartPipeline("broker", "--brokers", "3");
        broker.WaitUntil(() => broker.Stdout.Any(l => l.StartsWith("bootstrap: ", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "the bootstrap line");
        var bootstrap = broker.Stdout.First(l => l.StartsWith("bootstrap: ", StringComparison.Ordinal))["bootstrap: ".Length..];

        var metadata = Tools.Run(kcat, ["-L", "-b", bootstrap]);
        Assert.Equal(0, metadata.ExitCode);
        Assert.Contains("3 brokers", metadata.Stdout, StringComparison.Ordinal);
        Assert.Contains("topic \"iiot.telemetry\" with 6 partitions", metadata.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, Tools.Run(kcat, ["-P", "-b", bootstrap, "-t", "alerts", "-K:"], stdin: "a:first\nb:second\n").ExitCode);
        var consumed = Tools.Run(kcat, ["-C", "-b", bootstrap, "-t", "alerts", "-e", "-q", "-f", "%k=%s\n"]);
        Assert.Equal(["a=first", "b=second"], consumed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());

        broker.Interrupt();
        Assert.True(broker.WaitForExit(TimeSpan.FromSeconds(30)), "broker did not stop on Ctrl+C");
        Assert.Equal(0, broker.ExitCode);
        Assert.Contains("broker stopped", broker.Stdout);
    }
}
