namespace Pipeline.Dashboard;

/// <summary>Options of the dashboard (section <c>Dashboard</c>).</summary>
public sealed class DashboardOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Dashboard";

    /// <summary>Loopback port to listen on; 0 picks a free port.</summary>
    public int Port { get; set; } = 8080;

    /// <summary>Address to bind; loopback by default (the dashboard has no authentication).</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>How many of the latest alerts to keep and show.</summary>
    public int MaxAlerts { get; set; } = 200;

    /// <summary>How long the rate, peer and lag histories reach back.</summary>
    public TimeSpan History { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the peer index and the consumer lag are polled.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Consumer groups whose lag is shown, with the topics they read (catalogue names).</summary>
    public Dictionary<string, string[]> LagGroups { get; set; } = new()
    {
        ["pipeline-scoring-chain"] = ["chain.blocks", "chain.transactions"],
        ["pipeline-scoring-iiot"] = ["iiot.telemetry"],
        ["pipeline-whitelist"] = ["endpoint.executions"],
    };
}
