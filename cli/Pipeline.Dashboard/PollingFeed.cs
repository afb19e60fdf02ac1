using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pipeline.Dashboard;

/// <summary>Runs a poll at a fixed interval until stopped; a failed poll is logged and retried next tick.</summary>
internal sealed class PollingFeed(string name, TimeSpan interval, Func<CancellationToken, Task> poll, ILogger logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                await poll(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                DashboardLog.FeedFailed(logger, name, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
