using Pipeline.Bench.Detection;
using Pipeline.Bench.Federation;
using Pipeline.Bench.PeerIndex;
using Pipeline.Bench.Processing;
using Pipeline.Bench.Producers;

// Console benchmark harness: `dotnet run -c Release --project bench/Pipeline.Bench -- MODE [options]`.
// Each mode prints figures and ratios; none passes or fails.
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var mode = args.Length > 0 ? args[0] : string.Empty;
var rest = args.Skip(1).ToArray();
try
{
    return await RunAsync(mode, rest, cancel.Token);
}
catch (ArgumentException e)
{
    // A bad option value (a range, a hold-out overlapping the training data): the message names it.
    Console.Error.WriteLine($"{mode}: {e.Message}");
    return 2;
}

static async Task<int> RunAsync(string mode, string[] rest, CancellationToken cancellation)
{
    switch (mode)
    {
        case "peer-index":
            return await PeerIndexBenchmark.RunAsync(rest, cancellation);
        case "detection-quality":
            return await DetectionQualityBenchmark.RunAsync(rest, cancellation);
        case "detection-speed":
            return await DetectionSpeedBenchmark.RunAsync(rest, cancellation);
        case "producers":
            return await ProducerBenchmark.RunAsync(rest, cancellation);
        case "processing":
            return await ProcessingBenchmark.RunAsync(rest, cancellation);
        case "processing-latency":
            return await SplitLatencyBenchmark.RunAsync(rest, cancellation);
        case ForwarderChild.Mode:
            return await ForwarderChild.RunAsync(rest, cancellation);
        case "federation":
            return await FederationBenchmark.RunAsync(rest, cancellation);
        default:
            Console.Error.WriteLine($"unknown benchmark mode '{mode}'.");
            Console.Error.WriteLine("usage: Pipeline.Bench MODE [options]");
            Console.Error.WriteLine("modes:");
            Console.Error.WriteLine("  detection-quality  ROC/PR AUC of the five detectors on the producers' scenario simulator (labelled)");
            Console.Error.WriteLine("  detection-speed    fit/score time on 100k x 16 and a side-by-side with scikit-learn");
            Console.Error.WriteLine("  producers    events/s of the simulator: generation+encoding alone, and delivered to the embedded broker");
            Console.Error.WriteLine("  processing   one ScoringProcessor vs a consume-only loop over the same topic (ratio), and produce->alert latency at half its rate");
            Console.Error.WriteLine("  processing-latency   a `pipeline process scoring` child and a consume-only child alone on --scorer-cpu (run this under taskset -c 1):\n" +
                "                       their warm drain rates in --rounds paired rounds (the ratio), then produce->alert latency at half the scorer's rate,\n" +
                "                       then the same for a plain consume-and-forward child (the control: what broker, clients and machine cost)");
            Console.Error.WriteLine("  federation   time to aggregate 50 NED updates per strategy; bytes per participant and AUC with none/float16/int8 compression;\n" +
                "               AUC per strategy with the relation residual off/on on other and same plants; the IIoT federation over sliding\n" +
                "               windows as pipeline up runs it, held-out AUC per round against central NED (--sections aggregation,compression,relations,windows);\n" +
                "               on request (--sections chain) a chain model's CBLOF federation over growing windows per CBLOF alpha\n" +
                "               (--chain-stream chain.blocks|chain.transactions, --cblof-alphas 0.9,0.85,0.8)");
            Console.Error.WriteLine("  peer-index   DTS experiment (Single / RoundRobin / DynamicThrottle over embedded ledger peers) and the Redis index alone");
            return 2;
    }
}
