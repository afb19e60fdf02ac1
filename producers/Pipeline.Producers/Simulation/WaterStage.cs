using Pipeline.Contracts;
using Pipeline.Contracts.Avro;

namespace Pipeline.Producers.Simulation;

/// <summary>
/// One water-treatment stage: a tank filled through an inlet valve (MV) and emptied by a pump (P),
/// with a level sensor (LIT), an inflow meter (FIT) and a discharge pressure sensor (PIT). A
/// hysteresis controller keeps the level between its setpoints, so the process cycles: valve and
/// pump states, flows, level, pressure and pump current move together. Attacks break those
/// relations (a reading that no longer follows the physics, an actuator whose state disagrees with
/// its command, a replayed or drifting sensor), which is what a temporal featurizer can see.
/// </summary>
internal sealed class WaterStage
{
    // Device slots, in emission order.
    private const int Level = 0;
    private const int Inflow = 1;
    private const int Valve = 2;
    private const int Pump = 3;
    private const int Pressure = 4;
    public const int DeviceCount = 5;

    private const int HistoryLength = 1024;
    private const double TankHeight = 5.0;
    private const double ValveOpenBelow = 2.0;
    private const double ValveCloseAbove = 4.0;
    private const double PumpStartAbove = 1.0;
    private const double PumpStopBelow = 0.5;
    private const double BarPerMetre = 0.0981;

    // Sensor spans (for noise and attack magnitudes).
    private const double LevelSpan = TankHeight;
    private const double FlowSpan = 50;
    private const double PressureSpan = 3.5;
    private const double CurrentSpan = 20;

    private static readonly string[] DeviceTypes = ["level-sensor", "flow-meter", "valve", "pump", "pressure-sensor"];
    private static readonly string[] LevelNames = ["level_m"];
    private static readonly string[] InflowNames = ["flow_m3h"];
    private static readonly string[] ValveNames = ["open", "command"];
    private static readonly string[] PumpNames = ["running", "command", "current_a", "flow_m3h"];
    private static readonly string[] PressureNames = ["pressure_bar"];
    private static readonly int[] SensorSlots = [Level, Inflow, Pressure];

    private readonly SeededRandom _random;
    private readonly EpisodeScheduler _scheduler;
    private readonly IReadOnlyList<EpisodeKind> _kinds;
    private readonly string _clusterId;
    private readonly string _factoryId;
    private readonly string[] _deviceIds = new string[DeviceCount];
    private readonly int[] _offsetMs = new int[DeviceCount];
    private readonly long[] _sequence = new long[DeviceCount];
    private readonly double _dtSeconds;
    private readonly double _noise;

    // Plant parameters (drawn once per stage).
    private readonly double _area;
    private readonly double _inflowNominal;
    private readonly double _pumpNominal;

    // Process state.
    private double _level;
    private double _supply; // AR(1) variation of the supply pressure feeding the inlet
    private bool _valveCommand;
    private bool _pumpCommand;
    private bool _valveOpen;
    private bool _pumpRunning;
    private double _inflow;
    private double _outflow;
    private double _pressure;
    private double _current;
    private long _tick;

    // History of reported sensor values: [tick % HistoryLength][Level|Inflow|Pressure].
    private readonly double[] _history = new double[HistoryLength * 3];

    // Current episode.
    private string _episodeLabel = AttackLabels.Normal;
    private int _episodeRemaining;
    private int _episodeTarget;
    private int _episodeLength;
    private double _episodeMagnitude;
    private double _spoofValue;
    private int _replayLag;

    public WaterStage(string clusterId, string factoryId, int stageNumber, TimeSpan interval, double noiseFraction,
        IReadOnlyList<EpisodeKind> kinds, EpisodeScheduler scheduler, SeededRandom random)
    {
        _clusterId = clusterId;
        _factoryId = factoryId;
        _kinds = kinds;
        _scheduler = scheduler;
        _random = random;
        _dtSeconds = interval.TotalSeconds;
        _noise = noiseFraction;
        _deviceIds[Level] = $"{factoryId}-LIT{stageNumber}01";
        _deviceIds[Inflow] = $"{factoryId}-FIT{stageNumber}01";
        _deviceIds[Valve] = $"{factoryId}-MV{stageNumber}01";
        _deviceIds[Pump] = $"{factoryId}-P{stageNumber}01";
        _deviceIds[Pressure] = $"{factoryId}-PIT{stageNumber}01";
        var maxOffset = Math.Max(1, Math.Min(200, (int)interval.TotalMilliseconds / 2));
        for (var d = 0; d < DeviceCount; d++)
        {
            _offsetMs[d] = random.NextInt(maxOffset);
        }
        _area = random.Uniform(1.3, 1.7);
        _inflowNominal = random.Uniform(32, 40);
        _pumpNominal = random.Uniform(20, 25);
        _level = random.Uniform(1.0, 4.0);
        _valveCommand = random.Chance(0.5);
        _pumpCommand = _level > PumpStartAbove;
    }

    public IReadOnlyList<string> DeviceIds => _deviceIds;

    /// <summary>Episode kinds, their labelled/normal message counts per episode (for the scheduler).</summary>
    public static EpisodeKind[] Kinds(IReadOnlyDictionary<string, double> rates)
    {
        double Rate(string label) => rates.TryGetValue(label, out var r) ? r : 0;
        // Mean episode lengths in ticks; one target device of five, or the whole stage.
        const double spoof = 60, actuator = 40, replay = 60, drift = 275;
        return
        [
            new(AttackLabels.SensorSpoofing, Rate(AttackLabels.SensorSpoofing), spoof, spoof * 4),
            new(AttackLabels.ActuatorManipulation, Rate(AttackLabels.ActuatorManipulation), actuator * 5, 0),
            new(AttackLabels.Replay, Rate(AttackLabels.Replay), replay, replay * 4),
            new(AttackLabels.SlowDrift, Rate(AttackLabels.SlowDrift), drift, drift * 4),
        ];
    }

    /// <summary>Advances the process by one interval and emits one reading per device.</summary>
    public void Step(long startMs, long intervalMs, Action<SimulatedMessage> emit)
    {
        if (_episodeRemaining == 0)
        {
            StartEpisode();
        }
        var attack = _episodeRemaining > 0 ? _episodeLabel : AttackLabels.Normal;
        Advance(attack);

        var baseMs = startMs + (_tick * intervalMs);
        var elapsed = _episodeLength - _episodeRemaining;
        var slot = (int)(_tick % HistoryLength) * 3;

        // Reported sensor values: true value plus noise, then what the attack does to them.
        var level = Report(Level, _level + (_random.NextGaussian() * _noise * LevelSpan), attack, elapsed, LevelSpan);
        var inflow = Report(Inflow, Math.Max(0, _inflow + (_random.NextGaussian() * _noise * FlowSpan)), attack, elapsed, FlowSpan);
        var pressure = Report(Pressure, Math.Max(0, _pressure + (_random.NextGaussian() * _noise * PressureSpan)), attack, elapsed, PressureSpan);
        var current = _pumpRunning ? _current + (_random.NextGaussian() * _noise * CurrentSpan) : 0;
        var outflow = _pumpRunning ? Math.Max(0, _outflow + (_random.NextGaussian() * _noise * FlowSpan)) : 0;
        _history[slot] = level;
        _history[slot + 1] = inflow;
        _history[slot + 2] = pressure;

        var stageLabel = attack == AttackLabels.ActuatorManipulation ? attack : AttackLabels.Normal;
        emit(Message(Level, baseMs, LevelNames, [level], LabelFor(Level, attack, stageLabel)));
        emit(Message(Inflow, baseMs, InflowNames, [inflow], LabelFor(Inflow, attack, stageLabel)));
        emit(Message(Valve, baseMs, ValveNames, [_valveOpen ? 1 : 0, _valveCommand ? 1 : 0], stageLabel));
        emit(Message(Pump, baseMs, PumpNames, [_pumpRunning ? 1 : 0, _pumpCommand ? 1 : 0, current, outflow], stageLabel));
        emit(Message(Pressure, baseMs, PressureNames, [pressure], LabelFor(Pressure, attack, stageLabel)));

        if (_episodeRemaining > 0)
        {
            _episodeRemaining--;
        }
        _tick++;
    }

    private string LabelFor(int device, string attack, string stageLabel) =>
        attack != AttackLabels.Normal && attack != AttackLabels.ActuatorManipulation && device == _episodeTarget ? attack : stageLabel;

    private void StartEpisode()
    {
        var pick = _scheduler.Pick(_random);
        if (pick < 0)
        {
            return;
        }
        _episodeLabel = _kinds[pick].Label;
        switch (_episodeLabel)
        {
            case AttackLabels.SensorSpoofing:
                _episodeLength = _random.NextInt(30, 91);
                _episodeTarget = SensorSlots[_random.NextInt(SensorSlots.Length)];
                _episodeMagnitude = (_random.Chance(0.5) ? 1 : -1) * _random.Uniform(0.15, 0.35);
                _spoofValue = double.NaN; // frozen at the first spoofed tick
                break;
            case AttackLabels.ActuatorManipulation:
                _episodeLength = _random.NextInt(20, 61);
                _episodeTarget = _random.Chance(0.5) ? Valve : Pump;
                break;
            case AttackLabels.Replay:
                _episodeLength = _random.NextInt(30, 91);
                _episodeTarget = SensorSlots[_random.NextInt(SensorSlots.Length)];
                _replayLag = (int)Math.Max(1, Math.Min(_tick, _random.NextInt(300, 601)));
                break;
            default: // slow drift
                _episodeLength = _random.NextInt(150, 401);
                _episodeTarget = SensorSlots[_random.NextInt(SensorSlots.Length)];
                _episodeMagnitude = (_random.Chance(0.5) ? 1 : -1) * _random.Uniform(0.1, 0.25);
                break;
        }
        _episodeRemaining = _episodeLength;
    }

    /// <summary>The physics: controller, actuators, flows, level, pressure, current.</summary>
    private void Advance(string attack)
    {
        // Controller (hysteresis on the reported level would let spoofing act on the plant; the
        // PLC here reads the true level, so a spoofed sensor disagrees with the flows it implies).
        if (_level <= ValveOpenBelow)
        {
            _valveCommand = true;
        }
        else if (_level >= ValveCloseAbove)
        {
            _valveCommand = false;
        }
        if (_level >= PumpStartAbove)
        {
            _pumpCommand = true;
        }
        else if (_level <= PumpStopBelow)
        {
            _pumpCommand = false;
        }
        _valveOpen = _valveCommand;
        _pumpRunning = _pumpCommand;
        if (attack == AttackLabels.ActuatorManipulation)
        {
            // The attacker drives the actuator against its command.
            if (_episodeTarget == Valve)
            {
                _valveOpen = !_valveCommand;
            }
            else
            {
                _pumpRunning = !_pumpCommand;
            }
        }

        const double phi = 0.995;
        _supply = (phi * _supply) + (Math.Sqrt(1 - (phi * phi)) * 0.06 * _random.NextGaussian());
        _inflow = _valveOpen ? _inflowNominal * (1 + _supply) : 0;
        // Pump flow falls a little as the suction head drops.
        _outflow = _pumpRunning ? _pumpNominal * (0.92 + (0.04 * _level / 2.5)) : 0;
        _level = Math.Clamp(_level + ((_inflow - _outflow) / 3600 * _dtSeconds / _area), 0, TankHeight);
        _pressure = (BarPerMetre * _level) + (_pumpRunning ? 2.2 + (0.012 * _outflow) : 0);
        _current = _pumpRunning ? 6.5 + (0.22 * _outflow) : 0;
    }

    private double Report(int device, double value, string attack, int elapsed, double span)
    {
        if (attack == AttackLabels.Normal || attack == AttackLabels.ActuatorManipulation || device != _episodeTarget)
        {
            return value;
        }
        switch (attack)
        {
            case AttackLabels.SensorSpoofing:
                // A constant, plausible-looking value away from the truth: a jump, then no noise and
                // no response to the flows.
                if (double.IsNaN(_spoofValue))
                {
                    _spoofValue = Math.Clamp(value + (_episodeMagnitude * span), 0.02 * span, 0.98 * span);
                }
                return _spoofValue + (_random.NextGaussian() * _noise * span * 0.05);
            case AttackLabels.Replay:
                var old = (int)((((_tick - _replayLag) % HistoryLength) + HistoryLength) % HistoryLength);
                var index = device == Level ? 0 : device == Inflow ? 1 : 2;
                return _history[(old * 3) + index];
            default: // slow drift: linear offset growing to the episode's magnitude
                return value + (_episodeMagnitude * span * elapsed / Math.Max(1, _episodeLength));
        }
    }

    private SimulatedMessage Message(int device, long baseMs, string[] names, ReadOnlySpan<double> values, string label)
    {
        var measurements = new NamedValue[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            measurements[i] = new NamedValue(names[i], Math.Round(values[i], 4));
        }
        var timestampMs = baseMs + _offsetMs[device];
        var reading = new DeviceReading
        {
            ClusterId = _clusterId,
            FactoryId = _factoryId,
            DeviceId = _deviceIds[device],
            DeviceType = DeviceTypes[device],
            Sequence = _sequence[device]++,
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(timestampMs),
            Measurements = measurements,
        };
        return new SimulatedMessage(Topics.IiotTelemetry, _factoryId, AvroSingleObject.Encode(reading), label, timestampMs);
    }
}
