using Pipeline.Contracts;

namespace Pipeline.Bench.Detection;

/// <summary>
/// Seeded IIoT telemetry with correlated pump physics. A hidden load follows a slow AR(1) process; speed follows the
/// load, flow ∝ speed, pressure ∝ speed², motor current ∝ flow·pressure, temperature lags current, vibration ∝ speed.
/// Attacks (label = type, on every affected reading): <c>spoofing</c> (one sensor reports a value from another operating
/// point), <c>replay</c> (an older segment of readings is re-sent, half with its old sequence numbers, half renumbered),
/// <c>drift</c> (one sensor drifts slowly away), <c>actuator</c> (speed command toggles between extremes, the physics
/// follow), <c>frozen</c> (all values stop changing).
/// </summary>
internal sealed class IiotGenerator(int seed)
{
    public static readonly string[] Measurements = ["speed", "flow", "pressure", "current", "temperature", "vibration"];

    private readonly Random _random = new(seed);

    public List<Labelled<DeviceReading>> Generate(int devices, int readingsPerDevice, double attackShare)
    {
        var all = new List<Labelled<DeviceReading>>(devices * readingsPerDevice);
        var start = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        for (var d = 0; d < devices; d++)
        {
            all.AddRange(Device($"pump-{d:D3}", $"factory-{d % 4}", start.AddMilliseconds(_random.Next(1000)), readingsPerDevice, attackShare));
        }

        // Interleave devices by time, as a stream would.
        all.Sort((a, b) => a.Event.Timestamp.CompareTo(b.Event.Timestamp));
        return all;
    }

    private List<Labelled<DeviceReading>> Device(string deviceId, string factory, DateTimeOffset start, int count, double attackShare)
    {
        // Device-specific constants: pumps of one model differ by a few per cent (manufacturing tolerance).
        var kFlow = 0.97 + (0.06 * _random.NextDouble());
        var kPressure = 0.97 + (0.06 * _random.NextDouble());
        var kCurrent = 0.58 + (0.04 * _random.NextDouble());
        var kVibration = 0.33 + (0.02 * _random.NextDouble());
        var ambient = 20 + (5 * _random.NextDouble());

        var clean = new double[count][];
        var load = 0.6;
        var temperature = ambient + 15;
        for (var t = 0; t < count; t++)
        {
            load += (0.02 * (0.6 - load)) + (0.015 * Gaussian.Next(_random));
            load = Math.Clamp(load, 0.2, 1.0);
            clean[t] = Physics(load, ref temperature, kFlow, kPressure, kCurrent, kVibration, ambient);
        }

        var values = clean.Select(v => (double[])v.Clone()).ToArray();
        var labels = Enumerable.Repeat("normal", count).ToArray();
        var sequences = Enumerable.Range(0, count).Select(i => (long)i).ToArray();

        // Place attack segments until the requested share of readings is covered.
        var target = (int)(attackShare * count);
        var covered = 0;
        var guard = 0;
        var firstKind = _random.Next(5);
        while (covered < target && guard++ < 1000)
        {
            // Attack types take turns (random start), so no single type dominates the labelled rows.
            var kind = (firstKind + guard) % 5;
            var length = kind == 2 ? 60 + _random.Next(60) : 15 + _random.Next(25);
            var at = 300 + _random.Next(Math.Max(1, count - length - 300));
            if (labels.Skip(at).Take(length).Any(l => l != "normal")) continue;
            length = Math.Min(length, count - at);
            switch (kind)
            {
                case 0: // spoofing: one sensor reports a plausible value from another operating point
                {
                    var sensor = 1 + _random.Next(3);
                    var fakeLoad = _random.NextDouble() < 0.5 ? 0.25 : 0.95;
                    var fakeTemp = temperature;
                    var fake = Physics(fakeLoad, ref fakeTemp, kFlow, kPressure, kCurrent, kVibration, ambient);
                    for (var t = at; t < at + length; t++)
                    {
                        values[t][sensor] = fake[sensor] * (1 + (0.02 * Gaussian.Next(_random)));
                        labels[t] = "spoofing";
                    }

                    break;
                }

                case 1: // replay of an older segment
                {
                    var source = _random.Next(Math.Max(1, at - length - 50));
                    var renumber = _random.NextDouble() < 0.5;
                    for (var t = 0; t < length; t++)
                    {
                        values[at + t] = (double[])clean[source + t].Clone();
                        if (!renumber) sequences[at + t] = source + t;
                        labels[at + t] = "replay";
                    }

                    break;
                }

                case 2: // drift of one sensor, linear up to +15 % of its value over 60-120 readings
                {
                    var sensor = _random.Next(Measurements.Length);
                    for (var t = at; t < at + length; t++)
                    {
                        values[t][sensor] *= 1 + (0.15 * (t - at) / length);
                        labels[t] = "drift";
                    }

                    break;
                }

                case 3: // actuator attack: speed command toggles between extremes
                {
                    var temp = temperature;
                    for (var t = at; t < at + length; t++)
                    {
                        var forced = ((t - at) / 3 % 2 == 0) ? 1.15 : 0.15;
                        values[t] = Physics(forced, ref temp, kFlow, kPressure, kCurrent, kVibration, ambient);
                        labels[t] = "actuator";
                    }

                    break;
                }

                default: // frozen sensor feed
                {
                    for (var t = at; t < at + length; t++)
                    {
                        values[t] = (double[])values[at - 1].Clone();
                        labels[t] = "frozen";
                    }

                    break;
                }
            }

            covered += length;
        }

        var readings = new List<Labelled<DeviceReading>>(count);
        for (var t = 0; t < count; t++)
        {
            var measured = new NamedValue[Measurements.Length];
            for (var m = 0; m < Measurements.Length; m++) measured[m] = new NamedValue(Measurements[m], Math.Round(values[t][m], 4));
            readings.Add(new Labelled<DeviceReading>(
                new DeviceReading
                {
                    ClusterId = "cluster-1",
                    FactoryId = factory,
                    DeviceId = deviceId,
                    DeviceType = "pump",
                    Sequence = sequences[t],
                    Timestamp = start.AddSeconds(t),
                    Measurements = measured,
                },
                labels[t]));
        }

        return readings;
    }

    private double[] Physics(double load, ref double temperature, double kFlow, double kPressure, double kCurrent, double kVibration, double ambient)
    {
        var speed = (1500 * load) + (8 * Gaussian.Next(_random));
        var s = speed / 1500;
        var flow = (kFlow * 100 * s) + (0.8 * Gaussian.Next(_random));
        var pressure = (kPressure * 6 * s * s) + (0.05 * Gaussian.Next(_random));
        var current = (kCurrent * 0.1 * flow * pressure) + 2 + (0.15 * Gaussian.Next(_random));
        temperature += 0.05 * ((ambient + (1.2 * current)) - temperature);
        var measuredTemperature = temperature + (0.1 * Gaussian.Next(_random));
        var vibration = (kVibration * 10 * s) + (0.08 * Gaussian.Next(_random));
        return [speed, flow, pressure, current, measuredTemperature, vibration];
    }
}
