using Pipeline.Producers.Scenarios;

namespace Pipeline.Producers.Simulation;

/// <summary>The factories of one cluster: every stage of every factory reports once per interval.</summary>
internal sealed class IiotSource : EventSource
{
    private readonly WaterStage[] _stages;
    private readonly long _startMs;
    private readonly long _intervalMs;
    private readonly Action<SimulatedMessage> _emit;
    private long _tick;

    public IiotSource(ScenarioWorld world, int cluster, long seed)
    {
        var scenario = world.Scenario;
        var iiot = scenario.Iiot;
        _startMs = scenario.StartTime.ToUnixTimeMilliseconds();
        _intervalMs = iiot.ReadingIntervalMs;
        var kinds = WaterStage.Kinds(iiot.Attacks);
        var scheduler = EpisodeScheduler.Create(kinds, WaterStage.DeviceCount);
        var clusterId = world.ClusterIds[cluster];
        _stages = new WaterStage[iiot.FactoriesPerCluster * iiot.StagesPerFactory];
        var i = 0;
        for (var f = 0; f < iiot.FactoriesPerCluster; f++)
        {
            var factoryId = world.FactoryIds[cluster][f];
            for (var s = 0; s < iiot.StagesPerFactory; s++, i++)
            {
                var random = SeededRandom.For(seed, $"iiot/{factoryId}", s);
                _stages[i] = new WaterStage(clusterId, factoryId, s + 1, TimeSpan.FromMilliseconds(_intervalMs),
                    iiot.NoiseFraction, kinds, scheduler, random);
            }
        }
        _emit = m => Emit(m);
    }

    protected override void FillNextBatch()
    {
        BatchTimeMs = _startMs + (_tick * _intervalMs);
        foreach (var stage in _stages)
        {
            stage.Step(_startMs, _intervalMs, _emit);
        }
        _tick++;
    }
}
