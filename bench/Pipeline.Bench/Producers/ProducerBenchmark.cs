using System.Diagnostics;
using System.Globalization;
using Pipeline.Contracts;
using Pipeline.Platform.Kafka;
using Pipeline.Producers.Publishing;
using Pipeline.Producers.Scenarios;
using Pipeline.Producers.Simulation;

namespace Pipeline.Bench.Producers;

/// <summary>
/// Events per second one producer process delivers: generation and Avro encoding alone (one
/// thread), then end to end into the embedded broker with every delivery acknowledged
/// (acks=all, idempotence, lz4, linger 5 ms). Prints figures; never passes or fails.
/// </summary>
public static class ProducerBenchmark
{
    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var generateCount = Arg(args, "--generate", 2_000_000);
        var deliverCount = Arg(args, "--deliver", 1_000_000);
        var seed = Arg(args, "--seed", 42);
        var scenario = ScenarioLoader.Default;
        Console.WriteLine($"producers benchmark: default scenario, seed {seed}, {Environment.ProcessorCount} logical cores, .NET {Environment.Version}");

        // Warm-up: JIT and tiered compilation of the per-event path.
        Generate(new ScenarioWorld(scenario, seed), ProducerDomains.All, 200_000);

        Console.WriteLine();
        Console.WriteLine("generation + encoding (one thread, no Kafka)");
        Console.WriteLine($"{"stream",-12} {"events",12} {"seconds",8} {"events/s",12} {"bytes/event",12} {"alloc B/event",14}");
        foreach (var (name, domains) in new[] { ("iiot", ProducerDomains.Iiot), ("chain", ProducerDomains.Chain), ("endpoints", ProducerDomains.Endpoints), ("all", ProducerDomains.All) })
        {
            ct.ThrowIfCancellationRequested();
            var r = Generate(new ScenarioWorld(scenario, seed), domains, generateCount);
            Console.WriteLine($"{name,-12} {r.Count,12:N0} {r.Seconds,8:F2} {r.Count / r.Seconds,12:N0} {r.Bytes / (double)r.Count,12:F1} {r.Allocated / (double)r.Count,14:F0}");
        }

        Console.WriteLine();
        Console.WriteLine("end to end into the embedded broker (delivery acknowledged)");
        Console.WriteLine($"{"stream",-12} {"events",12} {"seconds",8} {"events/s",12} {"CPU s",8} {"events/CPU-s",14}");
        using var broker = EmbeddedKafkaBroker.Start(1, Topics.All);
        var clients = new KafkaClientFactory(broker.BootstrapServers, new KafkaOptions { BootstrapServers = broker.BootstrapServers });
        foreach (var (name, domains) in new[] { ("iiot", ProducerDomains.Iiot), ("all", ProducerDomains.All) })
        {
            ct.ThrowIfCancellationRequested();
            using var producer = clients.CreateProducer($"bench-producers-{name}");
            var publisher = new KafkaPublisher(producer);
            var world = new ScenarioWorld(scenario, seed);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var progress = await publisher.PublishAsync(world.Stream(domains), new PublishLimits { Count = deliverCount }, null, ct);
            clock.Stop();
            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            Console.WriteLine($"{name,-12} {progress.Delivered,12:N0} {clock.Elapsed.TotalSeconds,8:F2} {progress.Delivered / clock.Elapsed.TotalSeconds,12:N0} " +
                $"{cpuSeconds,8:F2} {progress.Delivered / cpuSeconds,14:N0}" + (progress.Failed > 0 ? $"  ({progress.Failed:N0} failed: {progress.FirstError})" : ""));
        }
        Console.WriteLine();
        Console.WriteLine("CPU s covers the whole process: the generating thread, librdkafka's threads and the embedded broker's own thread.");
        return 0;
    }

    private static (long Count, double Seconds, long Bytes, long Allocated) Generate(ScenarioWorld world, ProducerDomains domains, long count)
    {
        long n = 0, bytes = 0;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        foreach (var m in world.Stream(domains))
        {
            bytes += m.Value.Length;
            if (++n == count)
            {
                break;
            }
        }
        clock.Stop();
        return (n, clock.Elapsed.TotalSeconds, bytes, GC.GetAllocatedBytesForCurrentThread() - allocated);
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }
}
