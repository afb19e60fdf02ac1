namespace Pipeline.Producers.Publishing;

/// <summary>
/// Holds a rate: tokens refill continuously at <c>rate</c> per second up to <c>burst</c>; taking
/// more than are available tells the caller how long to wait. A rate of zero or less is unlimited.
/// </summary>
/// <remarks>Not thread-safe: one publishing loop owns it.</remarks>
public sealed class TokenBucket
{
    private readonly double _rate;
    private readonly double _burst;
    private readonly TimeProvider _time;
    private double _tokens;
    private long _lastTicks;

    public TokenBucket(double ratePerSecond, double burst, TimeProvider? time = null)
    {
        _rate = ratePerSecond;
        _burst = Math.Max(1, burst);
        _time = time ?? TimeProvider.System;
        _tokens = _burst;
        _lastTicks = _time.GetTimestamp();
    }

    public bool IsUnlimited => !(_rate > 0);

    /// <summary>Takes <paramref name="count"/> tokens (the balance may go negative) and returns how
    /// long to wait before acting on them to stay within the rate.</summary>
    public TimeSpan Take(int count)
    {
        if (IsUnlimited)
        {
            return TimeSpan.Zero;
        }
        var now = _time.GetTimestamp();
        _tokens = Math.Min(_burst, _tokens + (_time.GetElapsedTime(_lastTicks, now).TotalSeconds * _rate));
        _lastTicks = now;
        _tokens -= count;
        return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / _rate);
    }

    /// <summary>Takes tokens and waits as long as <see cref="Take"/> says.</summary>
    public async ValueTask TakeAsync(int count, CancellationToken cancellationToken)
    {
        var wait = Take(count);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        }
    }
}
