using System.Text.RegularExpressions;
using Pipeline.Platform;
using Pipeline.Processing.Whitelist;
using Pipeline.Testing;

namespace Pipeline.Processing.Tests;

/// <summary>The compose <c>fabric</c> profile's whitelist processor: its environment binds to
/// WhitelistOptions that validate, name both peers over TLS, and point the identity and CA files at
/// the cryptogen layout the profile mounts.</summary>
public sealed partial class ComposeWhitelistFabricUnitTests
{
    [Fact]
    public void WhitelistFabricService_Environment_BindsToValidExternalFabricOptions()
    {
        var compose = File.ReadAllLines(Path.Combine(Tools.RepositoryRoot(), "docker-compose.yml"));
        var start = Array.FindIndex(compose, l => l == "  whitelist-fabric:");
        Assert.True(start >= 0, "docker-compose.yml has no whitelist-fabric service");
        var end = Array.FindIndex(compose, start + 1, l => ServiceHeader().IsMatch(l));
        var block = compose[start..(end < 0 ? compose.Length : end)];
        var overrides = block.Select(l => Variable().Match(l)).Where(m => m.Success)
            .Select(m => m.Groups["key"].Value.Replace("__", ":", StringComparison.Ordinal) + "=" + m.Groups["value"].Value)
            .ToList();

        var configuration = PipelineConfiguration.Build(overrides);
        var options = configuration.Bind<WhitelistOptions>(WhitelistOptions.SectionName);
        options.Validate();

        Assert.Contains(block, l => l.Trim() == "profiles: [\"fabric\"]");
        Assert.Contains(block, l => l.Trim() == "- ./deploy/fabric/organizations:/fabric/organizations:ro");
        Assert.Equal("whitelist", configuration["Ledger:ChannelName"]);
        Assert.Equal(["peer0.orghq.example.com", "peer0.orgbr.example.com"], options.FabricPeers.Select(p => p.Id));
        Assert.Equal(["https://peer0.orghq.example.com:7051", "https://peer0.orgbr.example.com:7051"], options.FabricPeers.Select(p => p.Endpoint));
        Assert.Equal(["OrgHQMSP", "OrgBRMSP"], options.FabricPeers.Select(p => p.MspId));
        Assert.All(options.FabricPeers, p => Assert.Equal($"/fabric/organizations/peerOrganizations/{Org(p.Id)}/tlsca/tlsca.{Org(p.Id)}-cert.pem", p.TlsCaFile));
        Assert.Equal("OrgHQMSP", options.FabricIdentity.MspId);
        Assert.EndsWith("users/User1@orghq.example.com/msp/signcerts/User1@orghq.example.com-cert.pem", options.FabricIdentity.CertificateFile, StringComparison.Ordinal);
        Assert.EndsWith("users/User1@orghq.example.com/msp/keystore/priv_sk", options.FabricIdentity.KeyFile, StringComparison.Ordinal);
    }

    private static string Org(string peerId) => peerId[(peerId.IndexOf('.', StringComparison.Ordinal) + 1)..];

    [GeneratedRegex(@"^  [A-Za-z0-9._-]+:\s*$")]
    private static partial Regex ServiceHeader();

    [GeneratedRegex(@"^\s+PIPELINE__(?<key>\w+): (?<value>\S+)\s*$")]
    private static partial Regex Variable();
}
