using Pipeline.Testing;

namespace Pipeline.EndToEnd.Tests;

/// <summary>The README's main-job command brings the whole stack up and prints its summary.</summary>
public sealed class UpCommandTests
{
    [Fact]
    public void Up_ShortDuration_RunsEveryPartStopsEveryChildAndPrintsTheSummary()
    {
        Tools.Require("redis-server", "apt-get update && apt-get install -y redis-server");
        using var up = ChildProcess.StartPipeline("up", "--duration", "00:01:15", "--rate", "1500");

        Assert.True(up.WaitForExit(TimeSpan.FromMinutes(5)), "pipeline up did not finish");
        var output = string.Join('\n', up.Stdout);
        Assert.True(up.ExitCode == 0, $"exit {up.ExitCode}\n{output}\n{string.Join('\n', up.Stderr)}");
        Assert.Contains("stopped 6 processes", output, StringComparison.Ordinal);
        Assert.DoesNotContain(up.Stderr, l => l.Contains("exited early", StringComparison.Ordinal));
        foreach (var type in new[] { "unknown_hash", "admin_misuse", "hash_mismatch" })
        {
            Assert.Contains(up.Stdout, l => l.Contains("endpoint", StringComparison.Ordinal) && l.Contains(type, StringComparison.Ordinal));
        }
        Assert.Contains(up.Stdout, l => l.Contains("iiot-ned v1 round 1", StringComparison.Ordinal));
        Assert.Contains(up.Stdout, l => l.StartsWith("endpoint.executions", StringComparison.Ordinal) && l.Contains("1.000", StringComparison.Ordinal));
    }
}
