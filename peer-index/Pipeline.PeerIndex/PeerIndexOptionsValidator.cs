using Microsoft.Extensions.Options;

namespace Pipeline.PeerIndex;

/// <summary>Checks <see cref="PeerIndexOptions"/>; every failure names the offending key.</summary>
public sealed class PeerIndexOptionsValidator : IValidateOptions<PeerIndexOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, PeerIndexOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var section = PeerIndexOptions.SectionName;

        if (string.IsNullOrWhiteSpace(options.Redis))
        {
            failures.Add($"{section}:Redis must name a redis-server endpoint.");
        }

        if (string.IsNullOrEmpty(options.KeyPrefix))
        {
            failures.Add($"{section}:KeyPrefix must not be empty.");
        }

        if (!PeerRegistration.IsValidName(options.PeerGroup))
        {
            failures.Add($"{section}:PeerGroup '{options.PeerGroup}' must be 1-128 characters of letters, digits, '.', '_' or '-'.");
        }

        if (!Enum.IsDefined(options.Strategy))
        {
            failures.Add($"{section}:Strategy '{options.Strategy}' is not one of Single, RoundRobin, DynamicThrottle.");
        }

        if (!(options.ReadyBelowPercent > 0 && options.ReadyBelowPercent <= options.AvailableBelowPercent))
        {
            failures.Add($"{section}:ReadyBelowPercent ({options.ReadyBelowPercent}) must be above 0 and not above AvailableBelowPercent ({options.AvailableBelowPercent}).");
        }

        if (!(options.QueryCostPercent > 0 && options.QueryCostPercent < 100))
        {
            failures.Add($"{section}:QueryCostPercent ({options.QueryCostPercent}) must be in (0, 100).");
        }

        if (!(options.OverloadLinePercent > 0 && options.OverloadLinePercent <= 100))
        {
            failures.Add($"{section}:OverloadLinePercent ({options.OverloadLinePercent}) must be in (0, 100].");
        }

        if (options.AvailableBelowPercent + options.QueryCostPercent > options.OverloadLinePercent + 1e-9)
        {
            failures.Add($"{section}:AvailableBelowPercent ({options.AvailableBelowPercent}) plus QueryCostPercent ({options.QueryCostPercent}) must not pass OverloadLinePercent ({options.OverloadLinePercent}), or one reservation could overload a peer.");
        }

        AddIfNotPositive(failures, options.HeartbeatTtl, $"{section}:HeartbeatTtl");
        AddIfNotPositive(failures, options.ReportInterval, $"{section}:ReportInterval");
        AddIfNotPositive(failures, options.ReservationTimeout, $"{section}:ReservationTimeout");
        AddIfNotPositive(failures, options.KnownPeersRefresh, $"{section}:KnownPeersRefresh");
        AddIfNotPositive(failures, options.RedisProbeInterval, $"{section}:RedisProbeInterval");
        if (options.ScaleRequestMinInterval < TimeSpan.Zero)
        {
            failures.Add($"{section}:ScaleRequestMinInterval must not be negative.");
        }

        if (options.ReportInterval >= options.HeartbeatTtl && options.HeartbeatTtl > TimeSpan.Zero)
        {
            failures.Add($"{section}:ReportInterval ({options.ReportInterval}) must be shorter than HeartbeatTtl ({options.HeartbeatTtl}), or live peers would expire between heartbeats.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void AddIfNotPositive(List<string> failures, TimeSpan value, string key)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{key} ({value}) must be positive.");
        }
    }
}
