using StackExchange.Redis;

namespace Pipeline.PeerIndex;

/// <summary>Creates the process's shared multiplexer with the settings the index relies on.</summary>
public static class PeerIndexConnection
{
    /// <summary>
    /// Parses a StackExchange.Redis configuration string and forces the settings the fallback
    /// needs: no abort when the server is down (reconnect in the background), fail fast instead
    /// of queueing commands while disconnected, and short timeouts.
    /// </summary>
    public static ConfigurationOptions CreateConfiguration(string configuration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        if (!configuration.Contains("connectTimeout", StringComparison.OrdinalIgnoreCase))
        {
            options.ConnectTimeout = 2000;
        }

        if (!configuration.Contains("syncTimeout", StringComparison.OrdinalIgnoreCase))
        {
            options.SyncTimeout = 2000;
            options.AsyncTimeout = 2000;
        }

        options.ReconnectRetryPolicy = new LinearRetry(200);
        return options;
    }

    /// <summary>Connects (or keeps trying in the background when the server is not up yet).</summary>
    public static Task<ConnectionMultiplexer> ConnectAsync(string configuration) =>
        ConnectionMultiplexer.ConnectAsync(CreateConfiguration(configuration));
}
