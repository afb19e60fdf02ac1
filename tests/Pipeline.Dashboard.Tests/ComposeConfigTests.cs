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

    [Fact]
    public void Config_FabricProfile_ResolvesOrdererPeersAndChaincodeService()
    {
        var compose = Tools.Require("docker-compose", "apt-get update && apt-get install -y docker-compose");
        var file = Path.Combine(Tools.RepositoryRoot(), "docker-compose.yml");

        var result = Tools.Run(compose, ["-f", file, "--profile", "fabric", "config"], timeout: TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, $"docker-compose --profile fabric config failed ({result.ExitCode}): {result.Stderr}");
        foreach (var service in new[] { "orderer.example.com:", "peer0.orghq.example.com:", "peer0.orgbr.example.com:", "whitelist-cc:" })
        {
            Assert.Contains("\n  " + service + "\n", result.Stdout, StringComparison.Ordinal);
        }
        Assert.Contains("image: hyperledger/fabric-orderer:2.5", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("image: hyperledger/fabric-peer:2.5", result.Stdout, StringComparison.Ordinal);
        // The OrgBR peer inherits the OrgHQ peer's settings (YAML merge) and overrides its identity.
        Assert.Contains("CORE_PEER_LOCALMSPID: OrgBRMSP", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("CORE_PEER_LOCALMSPID: OrgHQMSP", result.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, CountOf(result.Stdout, "CORE_PEER_TLS_ENABLED: \"true\""));
        Assert.Equal(2, CountOf(result.Stdout, "CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG:"));
        Assert.Contains("- chaincode\n    - serve", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("ORDERER_CHANNELPARTICIPATION_ENABLED: \"true\"", result.Stdout, StringComparison.Ordinal);
        // Every file the nodes mount is one scripts/fabric-network.sh (cryptogen) writes under deploy/fabric.
        Assert.Contains("deploy/fabric/organizations/peerOrganizations/orgbr.example.com/peers/peer0.orgbr.example.com/tls:/etc/hyperledger/fabric/tls", result.Stdout, StringComparison.Ordinal);
    }

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
