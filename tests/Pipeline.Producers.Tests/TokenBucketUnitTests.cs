using Pipeline.Producers.Publishing;

namespace Pipeline.Producers.Tests;

public sealed class TokenBucketUnitTests
{
    private sealed class ManualTime : TimeProvider
    {
        public long Ticks { get; set; }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Ticks;
    }

    [Fact]
    public void Take_BeyondBurst_WaitsForTheRefill()
    {
        var time = new ManualTime();
        var bucket = new TokenBucket(1000, burst: 100, time);

        Assert.Equal(TimeSpan.Zero, bucket.Take(100));
        Assert.Equal(TimeSpan.FromMilliseconds(50), bucket.Take(50));
    }

    [Fact]
    public void Take_AfterIdle_RefillsOnlyUpToTheBurst()
    {
        var time = new ManualTime();
        var bucket = new TokenBucket(1000, burst: 100, time);
        bucket.Take(100);

        time.Ticks += TimeSpan.FromSeconds(10).Ticks;

        Assert.Equal(TimeSpan.Zero, bucket.Take(100));
        Assert.True(bucket.Take(1) > TimeSpan.Zero);
    }

    [Fact]
    public void Take_SteadyStream_HoldsTheRate()
    {
        var time = new ManualTime();
        var bucket = new TokenBucket(500, burst: 10, time);
        var waited = TimeSpan.Zero;
        for (var i = 0; i < 1000; i++)
        {
            var wait = bucket.Take(1);
            time.Ticks += wait.Ticks; // the caller sleeps as told
            waited += wait;
        }

        // 1000 tokens at 500/s minus the initial burst of 10.
        Assert.Equal(990.0 / 500, waited.TotalSeconds, 3);
    }

    [Fact]
    public void Take_ZeroRate_IsUnlimited()
    {
        var bucket = new TokenBucket(0, 1, new ManualTime());

        Assert.True(bucket.IsUnlimited);
        Assert.Equal(TimeSpan.Zero, bucket.Take(1_000_000));
    }
}
