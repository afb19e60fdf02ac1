using Pipeline.Testing;

namespace Pipeline.Dashboard.Tests;

/// <summary>docker-compose.yml stays valid: parsed and resolved by Debian's docker-compose (no container engine needed).</summary>
public sealed class ComposeConfigTests
{
    [Fact]
    public void Config_RepositoryComposeFile_ResolvesWithServicesAndEnvironment()
    {
        var compose = Tools.Require("docker-compose", "apt-get update && apt-get install -y docker-compose");
        var file = Path.Combine(Tools.RepositoryRoot(), "docker-compose.yml");

        var result = Tools.Run(compose, ["-f", file, "config"], timeout: TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, $"docker-compose config failed ({result.ExitCode}): {result.Stderr}");
        foreach (var service in new[] { "kafka:", "redis:", "producers:", "scoring-chain:", "scoring-iiot:", "dashboard:" })
        {
            Assert.Contains("  " + service, result.Stdout, StringComparison.Ordinal);
        }
        Assert.Contains("PIPELINE__Kafka__BootstrapServers: kafka:9092", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("KAFKA_PROCESS_ROLES: broker,controller", result.Stdout, StringComparison.Ordinal);
    }
}
