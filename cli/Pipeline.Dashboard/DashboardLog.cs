using Microsoft.Extensions.Logging;

namespace Pipeline.Dashboard;

internal static partial class DashboardLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Dashboard listening on {Url}")]
    public static partial void Listening(ILogger logger, string url);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Dashboard feed {Feed} failed; retrying")]
    public static partial void FeedFailed(ILogger logger, string feed, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Message {Topic}/{Partition}@{Offset} does not decode; skipped")]
    public static partial void Undecodable(ILogger logger, string topic, int partition, long offset, Exception exception);
}
