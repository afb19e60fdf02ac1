using System.Runtime.CompilerServices;

namespace Pipeline.Detection;

/// <summary>
/// A map from a reading fingerprint to the position it was last seen at: open addressing with linear probing and
/// backward-shift deletion, for the featurizer's replay memory.
/// </summary>
/// <remarks>
/// Replaces a <c>Dictionary&lt;ulong, long&gt;</c> on the per-reading path: that instantiation is not precompiled in the
/// framework, so on one CPU its lookups ran as unoptimised tier-0 code for whole benchmark runs, and its entries cost
/// more memory. Positions are non-negative; -1 marks an empty slot. Not thread-safe.
/// </remarks>
internal sealed class FingerprintPositions
{
    private ulong[] _keys = new ulong[16];
    private long[] _values = Empty(16);
    private int _count;

    public int Count => _count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryGetValue(ulong key, out long value)
    {
        var mask = _keys.Length - 1;
        for (var i = Home(key, mask); ; i = (i + 1) & mask)
        {
            var v = _values[i];
            if (v < 0) break;
            if (_keys[i] == key)
            {
                value = v;
                return true;
            }
        }

        value = -1;
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Set(ulong key, long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        if (2 * (_count + 1) > _keys.Length) Grow();
        var mask = _keys.Length - 1;
        var i = Home(key, mask);
        while (_values[i] >= 0 && _keys[i] != key) i = (i + 1) & mask;
        if (_values[i] < 0) _count++;
        _keys[i] = key;
        _values[i] = value;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Remove(ulong key)
    {
        var mask = _keys.Length - 1;
        var i = Home(key, mask);
        while (true)
        {
            if (_values[i] < 0) return false;
            if (_keys[i] == key) break;
            i = (i + 1) & mask;
        }

        // Backward-shift deletion: move later entries of the probe run into the hole unless their home lies
        // cyclically in (hole, entry], so every remaining key stays reachable from its home without tombstones.
        var j = i;
        while (true)
        {
            j = (j + 1) & mask;
            if (_values[j] < 0) break;
            var home = Home(_keys[j], mask);
            var stays = i <= j ? i < home && home <= j : i < home || home <= j;
            if (stays) continue;
            _keys[i] = _keys[j];
            _values[i] = _values[j];
            i = j;
        }

        _values[i] = -1;
        _count--;
        return true;
    }

    // Fibonacci hashing of the (already FNV-mixed) fingerprint.
    private static int Home(ulong key, int mask) => (int)((key * 0x9E3779B97F4A7C15UL) >> 32) & mask;

    private static long[] Empty(int length)
    {
        var values = new long[length];
        Array.Fill(values, -1L);
        return values;
    }

    private void Grow()
    {
        var keys = _keys;
        var values = _values;
        _keys = new ulong[keys.Length * 2];
        _values = Empty(keys.Length * 2);
        _count = 0;
        for (var i = 0; i < keys.Length; i++)
        {
            if (values[i] >= 0) Set(keys[i], values[i]);
        }
    }
}
