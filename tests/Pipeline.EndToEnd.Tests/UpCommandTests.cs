using System.Text.RegularExpressions;
using Pipeline.Testing;

namespace Pipeline.EndToEnd.Tests;

/// <summary>The README's main-job command brings the whole stack up and prints its summary.</summary>
public sealed partial class UpCommandTests
{
    [Fact]
    public void Up_ShortDuration_RunsEveryPartStopsEveryChildAndPrintsTheSummary()
    {
        Tools.Require("redis-server", "apt-get update && apt-get install -y redis-server");
        using var up = ChildProcess.StartPipeline("up", "--duration", "00:01:45", "--rate", "1500");

        // While it runs: the scoring processor's own Prometheus endpoint counts the events it scores. It scores once the
        // federation's bootstrap round has published a model, which took over 60 s on a loaded 2-core machine.
        up.WaitUntil(() => up.Stdout.Any(l => l.StartsWith("running 6 processes", StringComparison.Ordinal)), TimeSpan.FromMinutes(2), "the stack to start");
        var scoring = up.Stdout.Select(l => MetricsLine().Match(l)).Single(m => m.Success && m.Groups["name"].Value == "scoring-iiot");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        up.WaitUntil(
            () => TryGet(http, $"http://127.0.0.1:{scoring.Groups["port"].Value}/metrics") is var metrics
                && metrics.Contains("pipeline_processing_processing_events{", StringComparison.Ordinal)
                && metrics.Contains("pipeline_processing_processing_consumer_lag{", StringComparison.Ordinal),
            TimeSpan.FromSeconds(90),
            "scoring-iiot's /metrics to count events and report lag");

        // The live dashboard of the running stack, rendered by headless Chromium, shows alerts and the ledger peers' loads.
        HeadlessChromium.Require();
        var dashboard = new Uri(up.Stdout.Select(l => DashboardLine().Match(l)).Single(m => m.Success).Groups["url"].Value);
        up.WaitUntil(
            () => TryGet(http, new Uri(dashboard, "api/alerts").ToString()).Contains("alertId", StringComparison.OrdinalIgnoreCase)
                && TryGet(http, new Uri(dashboard, "api/peers").ToString()).Contains("peer0", StringComparison.Ordinal),
            TimeSpan.FromMinutes(1),
            "alerts and peers on the dashboard's API");
        var dom = HeadlessChromium.DumpDom(dashboard);
        Assert.Contains("data-alert-id=", dom, StringComparison.Ordinal);
        Assert.Contains("data-peer-id=\"peer0\"", dom, StringComparison.Ordinal);

        Assert.True(up.WaitForExit(TimeSpan.FromMinutes(5)), "pipeline up did not finish");
        var output = string.Join('\n', up.Stdout);
        Assert.True(up.ExitCode == 0, $"exit {up.ExitCode}\n{output}\n{string.Join('\n', up.Stderr)}");
        Assert.Contains("stopped 6 processes", output, StringComparison.Ordinal);
        Assert.DoesNotContain(up.Stderr, l => l.Contains("exited early", StringComparison.Ordinal) || l.Contains("did not stop", StringComparison.Ordinal));
        foreach (var (stream, type) in new[] { ("endpoint", "unknown_hash"), ("endpoint", "admin_misuse"), ("endpoint", "hash_mismatch"), ("iiot", "anomaly"), ("chain", "anomaly") })
        {
            Assert.Contains(up.Stdout, l => l.TrimStart().StartsWith(stream + " ", StringComparison.Ordinal) && l.Contains(type, StringComparison.Ordinal));
        }
        Assert.Contains(up.Stdout, l => l.TrimStart().StartsWith("iiot-ned (ned):", StringComparison.Ordinal));
        Assert.Contains(up.Stdout, l => l.StartsWith("whitelist lookups by peer", StringComparison.Ordinal));
        Assert.Contains(up.Stdout, l => l.TrimStart().StartsWith("peer0 ", StringComparison.Ordinal));
        Assert.Contains(up.Stdout, l => l.StartsWith("endpoint.executions", StringComparison.Ordinal) && l.Contains("1.000", StringComparison.Ordinal));
        Assert.Contains(up.Stdout, l => l.StartsWith("recall by attack type", StringComparison.Ordinal));
    }

    private static string TryGet(HttpClient http, string url)
    {
        try
        {
            return http.GetStringAsync(url).GetAwaiter().GetResult();
        }
        catch (HttpRequestException)
        {
            return "";
        }
    }

    [GeneratedRegex(@"^dashboard (?<url>http://\S+)")]
    private static partial Regex DashboardLine();

    [GeneratedRegex(@"^(?<name>\S+)\s+pid \d+\s+metrics :(?<port>\d+)")]
    private static partial Regex MetricsLine();
}
