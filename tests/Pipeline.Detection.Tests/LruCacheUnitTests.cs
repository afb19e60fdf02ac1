using Pipeline.Detection;

namespace Pipeline.Detection.Tests;

public sealed class LruCacheUnitTests
{
    [Fact]
    public void Touch_CachedEntry_ProtectsItFromTheNextEviction()
    {
        var cache = new LruCache<string>(2);
        var a = cache.GetOrAddEntry("a", 0, static (key, _) => key.ToUpperInvariant(), out _);
        cache.GetOrAddEntry("b", 0, static (key, _) => key.ToUpperInvariant(), out _);

        Assert.True(cache.Touch(a));
        cache.GetOrAddEntry("c", 0, static (key, _) => key.ToUpperInvariant(), out _);

        Assert.True(a.Cached);
        cache.GetOrAddEntry("a".AsSpan(), 0, static (key, _) => key, out var created);
        Assert.False(created);
        cache.GetOrAddEntry("b", 0, static (key, _) => key, out created);
        Assert.True(created); // b was the least recent one and went when c came
        Assert.Equal(2, cache.Evictions);
    }

    [Fact]
    public void Touch_EvictedEntry_ReturnsFalseAndLookupCreatesAFreshOne()
    {
        var cache = new LruCache<string>(1);
        var first = cache.GetOrAddEntry("k", 0, static (_, _) => "first", out _);
        cache.GetOrAddEntry("other".AsSpan(), 0, static (_, _) => "other", out _);

        Assert.False(first.Cached);
        Assert.False(cache.Touch(first));
        var second = cache.GetOrAddEntry("k", 0, static (_, _) => "second", out var created);
        Assert.True(created);
        Assert.Equal("second", second.Value);
        Assert.Equal(1, cache.Count);
    }
}
