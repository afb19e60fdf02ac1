using System.Diagnostics;

namespace Pipeline.Ledger.Tests;

/// <summary>
/// scripts/fabric-network.sh without a container engine: a recording <c>docker</c> on PATH logs every
/// invocation and answers like the Fabric tools would (a package id from <c>chaincode package</c>,
/// an asset that exists once invoked), so the test checks the script's plumbing — the order of the
/// Fabric steps, the organisation each runs as, and the package id carried from packaging to install,
/// the chaincode service and approval. It does not start Fabric (see docs/fabric.md).
/// </summary>
public sealed class FabricNetworkScriptTests : IDisposable
{
    private const string PackageId = "whitelist_1.0:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "pipeline-fabric-script", Guid.NewGuid().ToString("N"));

    public FabricNetworkScriptTests()
    {
        Directory.CreateDirectory(_dir);
        var docker = Path.Combine(_dir, "docker");
        File.WriteAllText(docker, $$"""
            #!/usr/bin/env bash
            args="$*"
            printf '%s\n' "$args" >> "$DOCKER_LOG"
            case "$args" in
              *"up -d whitelist-cc"*) printf 'CHAINCODE_ID=%s\n' "${CHAINCODE_ID:-}" >> "$DOCKER_LOG" ;;
              *"chaincode package"*) echo "Creating fabric_whitelist-cc_run ... done" >&2; echo "{{PackageId}}" ;;
              *"peer channel list"*) echo "Channels peers has joined:" ;;
              *"peer chaincode invoke"*) touch "$DOCKER_STATE/created" ;;
              *"peer chaincode query"*AssetExists*) if [ -f "$DOCKER_STATE/created" ]; then echo true; else echo false; fi ;;
            esac
            exit 0
            """);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(docker, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public void All_RecordingDocker_RunsFabricStepsInOrderWithThePackageIdCarriedThrough()
    {
        var log = Run("all");

        var steps = new[]
        {
            "cryptogen generate --config=/fabric/crypto-config.yaml",
            "configtxgen -profile WhitelistChannel -channelID whitelist -outputBlock /fabric/channel-artifacts/whitelist.block",
            "up -d orderer.example.com peer0.orghq.example.com peer0.orgbr.example.com",
            "osnadmin channel join --channelID whitelist",
            "CORE_PEER_LOCALMSPID=OrgHQMSP",
            "peer channel join -b /fabric/channel-artifacts/whitelist.block",
            "CORE_PEER_LOCALMSPID=OrgBRMSP",
            "peer channel join -b /fabric/channel-artifacts/whitelist.block",
            "build whitelist-cc",
            "chaincode package --address whitelist-cc:9999 --label whitelist_1.0 --output /fabric/whitelist.tgz",
            "peer lifecycle chaincode install /fabric/whitelist.tgz",
            "peer lifecycle chaincode install /fabric/whitelist.tgz",
            "up -d whitelist-cc",
            "CHAINCODE_ID=" + PackageId,
            "approveformyorg",
            "approveformyorg",
            "peer lifecycle chaincode commit",
            "peer chaincode invoke",
            "AssetExists",
        };
        var at = 0;
        foreach (var step in steps)
        {
            var found = log.FindIndex(at, l => l.Contains(step, StringComparison.Ordinal));
            Assert.True(found >= 0, $"step '{step}' not found after line {at} of:\n{string.Join('\n', log)}");
            at = found + 1;
        }

        var approvals = log.Where(l => l.Contains("approveformyorg", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, approvals.Count);
        Assert.All(approvals, a => Assert.Contains("--package-id " + PackageId, a, StringComparison.Ordinal));
        Assert.Contains(approvals, a => a.Contains("CORE_PEER_LOCALMSPID=OrgHQMSP", StringComparison.Ordinal));
        Assert.Contains(approvals, a => a.Contains("CORE_PEER_LOCALMSPID=OrgBRMSP", StringComparison.Ordinal));
        var commit = log.Single(l => l.Contains("peer lifecycle chaincode commit", StringComparison.Ordinal));
        Assert.Contains("--peerAddresses peer0.orghq.example.com:7051", commit, StringComparison.Ordinal);
        Assert.Contains("--peerAddresses peer0.orgbr.example.com:7051", commit, StringComparison.Ordinal);
        Assert.Contains("OR('OrgHQMSP.peer','OrgBRMSP.peer')", commit, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_Command_ExitsTwoWithUsage()
    {
        var (exit, _, stderr) = Execute("frobnicate");

        Assert.Equal(2, exit);
        Assert.Contains("scripts/fabric-network.sh up", stderr, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private List<string> Run(string command)
    {
        var (exit, stdout, stderr) = Execute(command);
        Assert.True(exit == 0, $"fabric-network.sh {command} exited {exit}\n{stdout}\n{stderr}");
        return File.ReadAllLines(Path.Combine(_dir, "docker.log")).ToList();
    }

    private (int Exit, string Stdout, string Stderr) Execute(string command)
    {
        var script = Path.Combine(RepositoryRoot(), "scripts", "fabric-network.sh");
        var start = new ProcessStartInfo("bash", [script, command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PATH"] = _dir + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment["DOCKER_LOG"] = Path.Combine(_dir, "docker.log");
        start.Environment["DOCKER_STATE"] = _dir;
        start.Environment["TIMEOUT_SECONDS"] = "10";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"fabric-network.sh {command} did not finish within 60 s");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("no Pipeline.sln above " + AppContext.BaseDirectory);
    }
}
