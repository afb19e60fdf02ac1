using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;

namespace Pipeline.Bench.Processing;

/// <summary>
/// <c>--jit-tiers</c>: listens to the runtime's own JIT events (EventSource "Microsoft-Windows-DotNETRuntime", JIT
/// keyword 0x10, MethodLoadVerbose) in this process and prints the code tier each hot-path method last got, plus how
/// many methods were JIT-ed at tier 0 since the previous report. Shows whether the scorer's per-event code reached
/// optimised code during the measured passes (docs/benchmarks-processing.md, "Tiered compilation").
/// </summary>
internal sealed class JitTierListener : EventListener
{
    // Method names (namespace::name suffixes) on the per-event path.
    private static readonly string[] HotPath =
    [
        "ScoringBatchProcessor::ProcessAsync", "ScoringBatchProcessor::DecodeAndValidate", "ScoringBatchProcessor::ScoreGroup",
        "AvroSingleObject::Decode", "AvroSingleObject::ReadFingerprint", "DeviceReading::ReadBody", "NamedValue::Read",
        "AvroReader::", "Utf8StringCache::",
        "BundleScorer::Score", "DeviceReadingFeaturizer::Featurize", "DeviceReadingFeaturizer::Device",
        "DeviceState::Observe", "UnitState::Update", "UnitState::Snapshot", "SignalHistory::MeansAndStds", "SignalHistory::Push",
        "RunningStandardizer::Transform", "NedDetector::Score", "NedDetector::Reconstruct", "NedDetector::Layer",
        "BatchConsumerLoop::", "BatchResult::AddOutput",
    ];

    // MethodFlags bits 7-9 (the runtime's JitOptimizationTier).
    private static readonly string[] Tiers = ["unknown", "minopts", "optimised", "tier0", "tier1", "tier1-osr", "tier0-instrumented", "tier1-instrumented"];

    private readonly ConcurrentDictionary<string, (string Tier, double AtMs)> _latest = new(StringComparer.Ordinal);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _tier0Compiles;

    public void Print(string when)
    {
        var tier0 = Interlocked.Exchange(ref _tier0Compiles, 0);
        Console.WriteLine($"JIT tiers {when} ({_clock.Elapsed.TotalSeconds:F1} s after start; {tier0:N0} methods JIT-ed at tier 0 since the previous report):");
        foreach (var (name, (tier, at)) in _latest.Where(m => HotPath.Any(h => m.Key.Contains(h, StringComparison.Ordinal))).OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"  {name,-78} {tier,-18} since {at / 1000:F1} s");
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x10);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName is null || !eventData.EventName.StartsWith("MethodLoadVerbose", StringComparison.Ordinal) || eventData.Payload is null || eventData.PayloadNames is null)
        {
            return;
        }
        var names = eventData.PayloadNames;
        var ns = eventData.Payload[names.IndexOf("MethodNamespace")] as string ?? "";
        var method = eventData.Payload[names.IndexOf("MethodName")] as string ?? "";
        var flags = Convert.ToUInt32(eventData.Payload[names.IndexOf("MethodFlags")], System.Globalization.CultureInfo.InvariantCulture);
        var tier = Tiers[(int)((flags >> 7) & 0x7)];
        if (tier.StartsWith("tier0", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _tier0Compiles);
        }
        _latest[$"{ns}::{method}"] = (tier, _clock.Elapsed.TotalMilliseconds);
    }
}
